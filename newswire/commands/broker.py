"""``newswire broker``: the embedded Kafka-protocol broker alone, in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from newswire.broker import BrokerNotFound, EmbeddedBroker, ensure_topics, port_is_free
from newswire.commands import EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from newswire.settings import KafkaSettings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("broker", help="run the embedded broker (Tansu) in the foreground",
                       description="Run the embedded Kafka-protocol broker on 127.0.0.1 and create newswire's "
                                   "topics. Memory storage: stopping it loses every topic.")
    p.add_argument("--port", type=int, default=9092, help="port to listen on (default 9092; 0 picks a free one)")
    p.add_argument("--no-topics", action="store_true", help="do not create newswire's topics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.port and not port_is_free(args.port):
        print(f"newswire broker: port {args.port} is already in use; choose another with --port", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(args))
    except BrokerNotFound as exc:
        print(f"newswire broker: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except TimeoutError as exc:
        print(f"newswire broker: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _serve(args: argparse.Namespace) -> int:
    from newswire.schemas import topics

    broker = EmbeddedBroker(args.port or None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    try:
        if not args.no_topics:
            kafka = KafkaSettings()
            await ensure_topics(broker.bootstrap, topics.ALL, kafka.partitions, kafka.replication)
        print(f"broker listening on {broker.bootstrap} (memory storage; Ctrl-C stops it)", flush=True)
        process = broker.process
        assert process is not None
        while not stop.is_set():
            if process.poll() is not None:
                print(f"newswire broker: the broker exited with code {process.returncode}", file=sys.stderr)
                return EXIT_FAILURE
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
        return EXIT_OK
    finally:
        broker.stop()
