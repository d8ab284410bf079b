"""``newswire processor``: one faust worker of the processing stage (run several to share partitions)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from dataclasses import replace

from newswire.commands import (
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    add_bootstrap_argument,
    add_near_duplicates_argument,
)
from newswire.kafka import KafkaSettings

log = logging.getLogger("newswire.processor")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("processor", help="run a processor worker (validate, version, enrich)",
                       description="Consume newswire.entries.raw, validate, normalise, deduplicate, version and "
                                   "enrich each entry, and produce newswire.entries (rejects to "
                                   "newswire.entries.dlq). Workers with the same group share the partitions.")
    add_bootstrap_argument(p)
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (default off)")
    p.add_argument("--wait-for-kafka", type=float, default=300.0, metavar="S",
                   help="how long to wait for Kafka at start-up before giving up (default 300 s)")
    p.add_argument("--ready-file", metavar="PATH",
                   help="write this file once partitions are assigned (for supervisors)")
    add_near_duplicates_argument(p)
    p.set_defaults(func=run)



class TopicLayoutError(Exception):
    """newswire.entries has fewer partitions than newswire.entries.raw."""


async def _prepare(kafka: KafkaSettings, wait: float, *, ninjs: bool) -> int:
    """Wait for Kafka, create missing topics, and return the raw topic's partition count.

    Each entry goes to the partition of newswire.entries with its raw record's number (that is where
    a restarted worker reads its state back), so newswire.entries needs at least as many partitions."""
    from newswire.kafka import ensure_topics, partition_count, wait_for_metadata
    from newswire.schemas import topics

    await wait_for_metadata(kafka.bootstrap, wait)
    wanted = (*topics.ALL, topics.NINJS) if ninjs else topics.ALL
    await ensure_topics(kafka.bootstrap, wanted, kafka.partitions, kafka.replication)
    raw = await partition_count(kafka.bootstrap, topics.RAW) or kafka.partitions
    entries = await partition_count(kafka.bootstrap, topics.ENTRIES) or kafka.partitions
    if entries < raw:
        raise TopicLayoutError(f"{topics.ENTRIES} has {entries} partitions, fewer than the {raw} of {topics.RAW}; "
                               f"give it at least {raw} (kafka-topics --alter --partitions {raw})")
    return raw


def run(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    from newswire.processors.app import ProcessorSettings, create_app

    settings = ProcessorSettings.from_env()
    if args.bootstrap:
        settings = replace(settings, kafka=replace(settings.kafka, bootstrap=args.bootstrap))
    if args.metrics_port is not None:
        settings = replace(settings, metrics_port=args.metrics_port)
    if args.near_duplicates is not None:
        settings = replace(settings, near_duplicates=args.near_duplicates)
    try:
        log.info("waiting for Kafka at %s", settings.kafka.bootstrap)
        partitions = asyncio.run(_prepare(settings.kafka, args.wait_for_kafka, ninjs=settings.ninjs_topic))
    except TimeoutError as exc:
        print(f"newswire processor: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except TopicLayoutError as exc:
        print(f"newswire processor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if partitions != settings.kafka.partitions:
        log.info("newswire.entries.raw has %d partitions", partitions)
        settings = replace(settings, kafka=replace(settings.kafka, partitions=partitions))
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr="127.0.0.1")
    app = create_app(settings, ready_file=args.ready_file)
    worker = _worker_class()(app, loglevel=logging.getLevelName(logging.getLogger().level).lower(), quiet=True,
                             override_logging=False)
    worker.execute_from_commandline()
    return EXIT_OK


#: Longest a clean stop may take after SIGTERM/SIGINT before the worker exits anyway.
SHUTDOWN_DEADLINE_S = 15.0


def _exit_after_deadline() -> None:
    log.warning("shutdown did not finish within %.0f s (Kafka unreachable?); exiting without it",
                SHUTDOWN_DEADLINE_S)
    logging.shutdown()
    os._exit(EXIT_OK)


def _worker_class() -> type:
    """faust's Worker with a shutdown deadline: with Kafka gone, its clean stop (flush, commit, leave the
    group) can wait forever, and a service must still stop on SIGTERM. Offsets not committed then are
    replayed by the next worker, which the processor's replay rules make harmless."""
    from faust import Worker

    class DeadlineWorker(Worker):
        def _schedule_shutdown(self, signal: signal.Signals) -> None:
            timer = threading.Timer(SHUTDOWN_DEADLINE_S, _exit_after_deadline)
            timer.daemon = True
            timer.start()
            super()._schedule_shutdown(signal)

    return DeadlineWorker
