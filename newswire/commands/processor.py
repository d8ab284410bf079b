"""``newswire processor``: one faust worker of the processing stage (run several to share partitions)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace

from newswire.commands import EXIT_OK, EXIT_UNAVAILABLE

log = logging.getLogger("newswire.processor")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("processor", help="run a processor worker (validate, version, enrich)",
                       description="Consume newswire.entries.raw, validate, normalise, deduplicate, version and "
                                   "enrich each entry, and produce newswire.entries (rejects to "
                                   "newswire.entries.dlq). Workers with the same group share the partitions.")
    p.add_argument("--bootstrap", help="Kafka bootstrap HOST:PORT (default $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (default off)")
    p.add_argument("--wait-for-kafka", type=float, default=300.0, metavar="S",
                   help="how long to wait for Kafka at start-up before giving up (default 300 s)")
    p.add_argument("--ready-file", metavar="PATH",
                   help="write this file once partitions are assigned and state is recovered (for supervisors)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from faust import Worker
    from prometheus_client import start_http_server

    from newswire.broker import wait_for_metadata
    from newswire.processors.app import ProcessorSettings, create_app

    settings = ProcessorSettings()
    if args.bootstrap:
        settings = replace(settings, kafka=replace(settings.kafka, bootstrap=args.bootstrap))
    if args.metrics_port is not None:
        settings = replace(settings, metrics_port=args.metrics_port)
    try:
        log.info("waiting for Kafka at %s", settings.kafka.bootstrap)
        asyncio.run(wait_for_metadata(settings.kafka.bootstrap, args.wait_for_kafka))
    except TimeoutError as exc:
        print(f"newswire processor: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr="127.0.0.1")
    app = create_app(settings, ready_file=args.ready_file)
    worker = Worker(app, loglevel=logging.getLevelName(logging.getLogger().level).lower(), quiet=True,
                    override_logging=False)
    worker.execute_from_commandline()
    return EXIT_OK
