"""``newswire ingest [--host H] [--port N] [--bootstrap HOST:PORT] [--insecure-dev]``: the HTTP ingest API."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from aiohttp import web

from newswire.commands import EXIT_OK, EXIT_USAGE, add_bootstrap_argument
from newswire.producers.ingest import DEFAULT_MAX_BODY_BYTES, TOKEN_ENV, IngestSettings, KafkaSink, create_app


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ingest", help="run the HTTP ingest API for newsroom systems",
                       description="Accept entries over HTTP (POST/PUT/DELETE "
                                   "/v1/stories/{story}/entries) and publish them to newswire.entries.raw; "
                                   "202 only once Kafka acknowledged. "
                                   f"The bearer token comes from ${TOKEN_ENV}.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None,
                   help="port to listen on (default $NEWSWIRE_INGEST_PORT or 8080)")
    add_bootstrap_argument(p)
    p.add_argument("--max-body-bytes", type=int, default=None,
                   help="largest accepted body in bytes "
                        f"(default $NEWSWIRE_INGEST_MAX_BODY_BYTES or {DEFAULT_MAX_BODY_BYTES})")
    p.add_argument("--insecure-dev", action="store_true",
                   help=f"run without a token when ${TOKEN_ENV} is unset "
                        "(development only: anyone may publish)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = IngestSettings.from_env()
    if not settings.token and not args.insecure_dev:
        print(f"newswire ingest: refusing to start without a token: set {TOKEN_ENV} "
              "(or pass --insecure-dev on a development machine)", file=sys.stderr)
        return EXIT_USAGE
    port = args.port if args.port is not None else settings.port
    max_body = args.max_body_bytes or settings.max_body_bytes
    bootstrap = args.bootstrap or settings.kafka.bootstrap
    return asyncio.run(serve(args.host, port, bootstrap, token=settings.token or None,
                             insecure_dev=args.insecure_dev, max_body_bytes=max_body,
                             allowed_stories=settings.stories))


async def serve(host: str, port: int, bootstrap: str, *, token: str | None, insecure_dev: bool,
                max_body_bytes: int, allowed_stories: frozenset[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM, then stop cleanly."""
    sink = KafkaSink(bootstrap)
    app = create_app(sink, token=token, insecure_dev=insecure_dev, max_body_bytes=max_body_bytes,
                     allowed_stories=allowed_stories)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await sink.start()
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        mode = " (insecure-dev: no token)" if token is None else ""
        print(f"newswire ingest: listening on http://{host}:{port}{mode}, Kafka {bootstrap}", file=sys.stderr,
              flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await sink.stop()
    return EXIT_OK
