"""``newswire gateway [--host H] [--port N] [--bootstrap HOST:PORT] [--workers N]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys

from newswire.commands import EXIT_OK, EXIT_UNAVAILABLE, add_bootstrap_argument
from newswire.supervisor import die_with_parent

log = logging.getLogger("newswire.gateway")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gateway", help="serve newswire.entries to websocket, SSE and dashboard clients",
                       description="Read newswire.entries from the beginning (history is rebuilt at start) and "
                                   "fan entries out on /ws and /sse; /, /healthz, /readyz, /metrics and /stats "
                                   "on the same port. Settings: NEWSWIRE_GATEWAY_* (docs/gateway.md).")
    p.add_argument("--host", help="address to listen on (default $NEWSWIRE_GATEWAY_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default $NEWSWIRE_GATEWAY_PORT or 8765)")
    add_bootstrap_argument(p)
    p.add_argument("--workers", type=int, help="processes sharing the port with SO_REUSEPORT (default 1)")
    p.add_argument("--coalesce-ms", type=float, help="write-coalescing window (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from newswire.gateway.settings import GatewaySettings

    settings = GatewaySettings.from_env().replace(host=args.host, port=args.port, bootstrap=args.bootstrap,
                                         workers=args.workers,
                                         coalesce_ms=args.coalesce_ms)
    if settings.workers > 1:
        return _run_workers(settings, args)
    try:
        asyncio.run(_serve(settings))
    except OSError as exc:
        print(f"newswire gateway: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return EXIT_OK


async def _serve(settings: object) -> None:
    from newswire.gateway.server import GatewayServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with GatewayServer(settings):  # type: ignore[arg-type]
        await stop.wait()


def _run_workers(settings: object, args: argparse.Namespace) -> int:
    """N processes on one port (SO_REUSEPORT): each reads the whole topic and holds its own history."""
    from newswire.gateway.settings import GatewaySettings

    assert isinstance(settings, GatewaySettings)
    if settings.port == 0:
        print("newswire gateway: --workers needs a fixed --port", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "newswire.cli", "--log-level", getattr(args, "log_level", "INFO"),
           "--log-format", getattr(args, "log_format", "text"),
           "gateway", "--host", settings.host, "--port", str(settings.port),
           "--bootstrap", settings.bootstrap, "--workers", "1",
           "--coalesce-ms", str(settings.coalesce_ms)]
    children = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL, env=os.environ.copy(),
                                 preexec_fn=die_with_parent if sys.platform == "linux" else None)
                for _ in range(settings.workers)]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [child.wait() for child in children]
    return max(codes) if any(codes) else EXIT_OK
