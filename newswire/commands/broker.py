"""``newswire broker``: the local Apache Kafka alone, in the foreground, with newswire's topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from newswire.commands import EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, add_data_dir_argument
from newswire.kafka import (
    DataDirError,
    JarsUnavailable,
    JavaUnavailable,
    KafkaSettings,
    LocalKafka,
    LocalKafkaError,
    ensure_topics,
    kafka_version,
)
from newswire.ports import port_is_free

log = logging.getLogger("newswire.broker")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("broker", help="run the local Apache Kafka in the foreground",
                       description=f"Run a single-node Apache Kafka {kafka_version()} (KRaft, broker and controller "
                                   "in one JVM) on 127.0.0.1 and create newswire's topics. Its data folder is "
                                   "formatted on first start and kept across restarts. Needs Java 17 or newer; the "
                                   "jars are fetched once from Maven Central with `mvn` and cached.")
    p.add_argument("--port", type=int, default=9092, help="port to listen on (default 9092; 0 picks a free one)")
    add_data_dir_argument(p)
    p.add_argument("--no-topics", action="store_true", help="do not create newswire's topics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.port and not port_is_free(args.port):
        print(f"newswire broker: port {args.port} is already in use; choose another with --port", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(args, KafkaSettings.from_env()))
    except (JavaUnavailable, JarsUnavailable) as exc:
        print(f"newswire broker: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except DataDirError as exc:
        print(f"newswire broker: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LocalKafkaError, TimeoutError, OSError) as exc:
        print(f"newswire broker: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _serve(args: argparse.Namespace, kafka: KafkaSettings) -> int:
    from newswire.schemas import topics

    broker = LocalKafka(args.port or None, data_dir=Path(args.data_dir) / "kafka")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    try:
        if not args.no_topics:
            await ensure_topics(broker.bootstrap, topics.ALL, kafka.partitions, 1)
        print(f"broker listening on {broker.bootstrap}: Apache Kafka {kafka_version()}, started in "
              f"{broker.started_in:.1f} s, data in {broker.data_dir} (Ctrl-C stops it)", flush=True)
        process = broker.process
        assert process is not None
        while not stop.is_set():
            if process.poll() is not None:
                print(f"newswire broker: Apache Kafka exited with code {process.returncode}:\n{broker.output()}",
                      file=sys.stderr)
                return EXIT_FAILURE
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
        log.info("stopping Apache Kafka")
        return EXIT_OK
    finally:
        broker.stop()
