"""``newswire up``: the whole pipeline in one command (the local Apache Kafka unless --bootstrap is given)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

import aiohttp

from newswire.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    add_data_dir_argument,
    add_near_duplicates_argument,
)
from newswire.kafka import (
    DataDirError,
    JarsUnavailable,
    JavaUnavailable,
    KafkaSettings,
    LocalKafka,
    kafka_version,
    wait_for_metadata,
)
from newswire.ports import port_is_free
from newswire.settings import env_float
from newswire.supervisor import GaveUp, Part, child_env, die_with_parent

log = logging.getLogger("newswire.up")

DEMO_STORY = "demo"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("up", help="run the whole pipeline: broker, processor, gateway, ingest API",
                       description="Start every part newswire needs, print one 'ready' line with the URLs once all "
                                   "accept work, restart a part that dies, and stop everything on Ctrl-C/SIGTERM. "
                                   "Without --bootstrap (or $KAFKA_BOOTSTRAP_SERVERS) it runs a local Apache Kafka "
                                   "whose data persists in --data-dir.")
    p.add_argument("--bootstrap", help="use this Kafka (HOST:PORT) instead of the local one")
    p.add_argument("--broker-port", type=int, default=9092, help="local Apache Kafka's port (default 9092)")
    add_data_dir_argument(p)
    p.add_argument("--gateway-port", type=int, default=8765, help="websocket gateway and dashboard port (default 8765)")
    p.add_argument("--ingest-port", type=int, default=8080, help="HTTP ingest API port (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface the gateway and ingest API listen on (default 127.0.0.1)")
    p.add_argument("--processors", type=int, default=1, metavar="N", help="processor workers (default 1)")
    add_near_duplicates_argument(p)
    p.add_argument("--demo", action="store_true", help=f"replay a sample live blog into story '{DEMO_STORY}'")
    p.add_argument("--demo-interval", type=float, default=env_float("NEWSWIRE_DEMO_INTERVAL", 3.0), metavar="S",
                   help="seconds between demo entries (default 3)")
    p.set_defaults(func=run)


def _newswire(args: argparse.Namespace, *command: str) -> list[str]:
    """argv of a child ``newswire`` command, with the same logging flags as ``up``."""
    return [sys.executable, "-m", "newswire.cli", "--log-level", args.log_level, "--log-format", args.log_format,
            *command]


async def _http_ok(url: str) -> bool:
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
        return resp.status == 200


def run(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    ports = {"gateway": args.gateway_port, "ingest": args.ingest_port}
    if not bootstrap:
        ports["broker"] = args.broker_port
    if args.processors < 1:
        print("newswire up: --processors must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    busy = [f"{name} port {port}" for name, port in ports.items() if not port_is_free(port, "127.0.0.1")]
    if busy:
        print(f"newswire up: already in use: {', '.join(busy)}; choose others with --broker-port, "
              "--gateway-port, --ingest-port", file=sys.stderr)
        return EXIT_USAGE
    broker_argv: list[str] = []
    if not bootstrap:
        try:  # Java, the jars (fetched once) and the data folder (formatted once), before anything starts
            broker_argv = LocalKafka(args.broker_port, data_dir=Path(args.data_dir) / "kafka").command()
        except (JavaUnavailable, JarsUnavailable) as exc:
            print(f"newswire up: {exc}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        except DataDirError as exc:
            print(f"newswire up: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        return asyncio.run(_up(args, bootstrap, broker_argv))
    except GaveUp as exc:
        print(f"newswire up: giving up: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _up(args: argparse.Namespace, bootstrap: str | None, broker_argv: list[str]) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    parts: list[Part] = []

    def on_signal() -> None:
        # Ctrl-C reaches the whole process group: children exit on their own, and must not be restarted
        for part in parts:
            part.stopping = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)

    kafka = KafkaSettings.from_env()
    token = os.environ.get("NEWSWIRE_INGEST_TOKEN")
    generated_token = not token
    token = token or secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="newswire-up-"))

    async def create_topics() -> None:
        from newswire.kafka import ensure_topics
        from newswire.schemas import topics

        await ensure_topics(bootstrap_addr, topics.ALL, kafka.partitions, kafka.replication, kafka.topic_configs())

    if bootstrap:
        bootstrap_addr = bootstrap
        log.info("using Kafka at %s", bootstrap_addr)
    else:
        bootstrap_addr = f"127.0.0.1:{args.broker_port}"
        parts.append(Part("broker", broker_argv, ready=lambda: _metadata_ok(bootstrap_addr),
                          after_start=create_topics, preexec_fn=die_with_parent))

    env = child_env(KAFKA_BOOTSTRAP_SERVERS=bootstrap_addr, NEWSWIRE_INGEST_TOKEN=token)
    for i in range(args.processors):
        ready_file = workdir / f"processor-{i}.ready"

        async def processor_ready(path: Path = ready_file) -> bool:
            return path.exists()

        name = "processor" if args.processors == 1 else f"processor-{i + 1}"
        argv = _newswire(args, "processor", "--bootstrap", bootstrap_addr, "--ready-file", str(ready_file))
        if args.near_duplicates:
            argv += ["--near-duplicates", args.near_duplicates]
        parts.append(Part(name, argv, ready=processor_ready, env=env))
    gateway_url = f"http://{args.host}:{args.gateway_port}"
    ingest_url = f"http://{args.host}:{args.ingest_port}"
    parts.append(Part("gateway", _newswire(args, "gateway", "--host", args.host, "--port", str(args.gateway_port),
                                           "--bootstrap", bootstrap_addr),
                      ready=lambda: _http_ok(f"{gateway_url}/readyz"), env=env))
    parts.append(Part("ingest", _newswire(args, "ingest", "--host", args.host, "--port", str(args.ingest_port),
                                          "--bootstrap", bootstrap_addr),
                      ready=lambda: _http_ok(f"{ingest_url}/healthz"), env=env))

    supervisors: list[asyncio.Task[None]] = []
    demo: asyncio.Task[None] | None = None
    try:
        start_all = asyncio.create_task(_start_all(parts, bootstrap is not None, bootstrap_addr, create_topics))
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({start_all, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stopped in done:
            start_all.cancel()
            with contextlib.suppress(asyncio.CancelledError, GaveUp):
                await start_all
            return EXIT_OK
        start_all.result()  # raises GaveUp when a part could not start
        supervisors = [asyncio.create_task(p.supervise()) for p in parts]
        story = f"/?story={DEMO_STORY}" if args.demo else "/"
        print(f"newswire ready: dashboard {gateway_url}{story} websocket ws://{args.host}:{args.gateway_port}/ws "
              f"ingest {ingest_url}/v1/stories/{{story}}/entries kafka {bootstrap_addr}", flush=True)
        for part in parts:
            part.echo = True
        if generated_token:
            print(f"ingest token (generated, set NEWSWIRE_INGEST_TOKEN to choose one): {token}", flush=True)
        if args.demo:
            demo = asyncio.create_task(_replay_demo(bootstrap_addr, args.demo_interval))
        watchers = {asyncio.create_task(stop.wait()), *supervisors}
        done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task in supervisors and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return EXIT_OK
    finally:
        log.info("stopping")
        if demo:
            demo.cancel()
            with contextlib.suppress(BaseException):
                await demo
        for task in supervisors:
            task.cancel()
        for part in parts:
            part.stopping = True
        # the broker last, so the others can flush and leave their groups cleanly
        services = [p for p in parts if p.name != "broker"]
        await asyncio.gather(*(p.stop() for p in services))
        await asyncio.gather(*(p.stop(grace=30) for p in parts if p.name == "broker"))  # controlled shutdown
        for task in supervisors:
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(OSError):
            for f in workdir.iterdir():
                f.unlink()
            workdir.rmdir()
        log.info("stopped")


async def _metadata_ok(bootstrap: str) -> bool:
    await wait_for_metadata(bootstrap, timeout=2)
    return True


async def _start_all(parts: list[Part], external: bool, bootstrap: str,
                     create_topics: Callable[[], Awaitable[None]]) -> None:
    if external:
        log.info("waiting for Kafka at %s", bootstrap)
        while True:
            try:
                await wait_for_metadata(bootstrap, timeout=10)
                break
            except TimeoutError as exc:
                log.warning("Kafka not reachable yet (%s); retrying", exc)
        await create_topics()
    broker = [p for p in parts if p.name == "broker"]
    for part in broker:
        started = time.monotonic()
        await part.start()
        await part.wait_ready()
        log.info("Apache Kafka %s started on %s in %.1f s", kafka_version(), bootstrap, time.monotonic() - started)
    rest = [p for p in parts if p.name != "broker"]
    for part in rest:
        await part.start()
    await asyncio.gather(*(p.wait_ready() for p in rest))


async def _replay_demo(bootstrap: str, interval: float) -> None:
    """Publish the packaged sample live blog into story ``demo``, one entry every ``interval`` seconds."""
    from newswire.producers.kafka import Publisher
    from newswire.producers.markdown import parse_markdown

    text = resources.files("newswire").joinpath("demo/liveblog.md").read_text("utf-8")
    page = parse_markdown(text, DEMO_STORY)
    async with Publisher(bootstrap, source="newswire-demo") as publisher:
        for n, entry in enumerate(page.entries, start=1):
            await publisher.publish(DEMO_STORY, entry)
            log.info("demo: published entry %d/%d (%s)", n, len(page.entries), entry.published_at)
            await asyncio.sleep(interval)
    log.info("demo: all %d entries published", len(page.entries))
