"""The faust worker: wires ``newswire.entries.raw`` to :class:`~newswire.processors.pipeline.Processor`.

Only I/O lives here: the agent reads raw records, hands the bytes to the pipeline,
and sends the outcome to ``newswire.entries`` or ``newswire.entries.dlq``. State lives
in two faust tables (changelog-backed, so a restarted worker remembers):
``newswire-entry-state`` and ``newswire-story-state``.

Delivery is at-least-once (faust's exactly-once mode has open bugs, and the embedded
broker has no transactions); the version rules make replays harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from newswire.schemas import DeadLetterSource, encode, topics
from newswire.settings import KafkaSettings, env_float, env_int, env_str

from . import metrics
from .pipeline import Processor

__all__ = ["ProcessorSettings", "create_app"]

log = logging.getLogger("newswire.processor")


@dataclass(frozen=True)
class ProcessorSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    app_id: str = field(default_factory=lambda: env_str("NEWSWIRE_PROCESSOR_GROUP", "newswire-processor"))
    #: Prometheus metrics on this port (0: off).
    metrics_port: int = field(default_factory=lambda: env_int("NEWSWIRE_PROCESSOR_METRICS_PORT", 0, minimum=0))
    #: How long the group waits for members to rejoin; short so a lone worker starts (and restarts) quickly.
    rebalance_timeout_s: float = field(default_factory=lambda: env_float("NEWSWIRE_REBALANCE_TIMEOUT_S", 5.0))
    commit_interval_ms: int = field(default_factory=lambda: env_int("NEWSWIRE_COMMIT_INTERVAL_MS", 500, minimum=10))


def _patch_fetch_wait(wait_ms: int) -> None:
    """faust hard-codes fetch_max_wait_ms=1500 for worker consumers. The embedded broker answers a fetch only
    when that wait runs out, so it would add 1.5 s to every hop; use the configured wait instead."""
    thread_cls = faust_aiokafka.AIOKafkaConsumerThread
    original = getattr(thread_cls, "_newswire_original_create", thread_cls._create_worker_consumer)

    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = wait_ms
        return consumer

    thread_cls._newswire_original_create = original  # type: ignore[attr-defined]
    thread_cls._create_worker_consumer = create  # type: ignore[method-assign]


def create_app(settings: ProcessorSettings | None = None, *, ready_file: str | None = None) -> faust.App:
    """The faust app; ``ready_file`` is written once partitions are assigned and tables recovered."""
    settings = settings or ProcessorSettings()
    kafka = settings.kafka
    _patch_fetch_wait(kafka.fetch_max_wait_ms)
    brokers = [f"kafka://{hostport.strip()}" for hostport in kafka.bootstrap.split(",") if hostport.strip()]
    app = faust.App(
        settings.app_id,
        broker=brokers,
        store="memory://",
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication,
        web_enabled=False,
        producer_acks=-1,
        producer_linger_ms=1,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval_ms / 1000,
        stream_wait_empty=False,
        topic_allow_declare=True,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
    )

    raw_topic = app.topic(topics.RAW, key_serializer="raw", value_serializer="raw", partitions=kafka.partitions)
    entries_topic = app.topic(topics.ENTRIES, key_serializer="raw", value_serializer="raw", partitions=kafka.partitions)
    dlq_topic = app.topic(topics.DLQ, key_serializer="raw", value_serializer="raw", partitions=kafka.partitions)
    entry_table = app.Table("newswire-entry-state", default=None, partitions=kafka.partitions,
                            key_type=str, value_type=dict)
    story_table = app.Table("newswire-story-state", default=None, partitions=kafka.partitions,
                            key_type=str, value_type=dict)
    near_table = app.Table("newswire-neardup-state", default=None, partitions=kafka.partitions,
                           key_type=str, value_type=dict)
    processor = Processor(entry_table, story_table, near_table)  # type: ignore[arg-type]

    @app.on_rebalance_complete.connect
    async def _ready(sender: object, **kwargs: object) -> None:
        log.info("processor ready: partitions assigned, state recovered")
        if ready_file:
            Path(ready_file).write_text("ready\n")

    @app.agent(raw_topic)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            msg = event.message
            source = DeadLetterSource(topic=msg.topic, partition=msg.partition, offset=msg.offset)
            outcome = processor.handle(msg.key, msg.value, source)
            if outcome.dead_letter is not None:
                metrics.REJECTED.inc()
                log.warning("rejected %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, outcome.dead_letter.reason)
                await dlq_topic.send(key=msg.key, value=encode(outcome.dead_letter))
            elif outcome.dropped is not None:
                metrics.DROPPED.labels(outcome.dropped).inc()
                if outcome.duplicate_of:
                    log.info("dropped near duplicate at %s[%d]@%d: keeps entry %s", msg.topic, msg.partition,
                             msg.offset, outcome.duplicate_of)
            elif outcome.entry is not None:
                entry = outcome.entry
                await entries_topic.send(key=entry.story.encode(), value=encode(entry))
                processor.apply(outcome)
                metrics.PROCESSED.labels(entry.op).inc()
                for stage, seconds in outcome.timings.items():
                    metrics.STAGE_SECONDS.labels(stage).observe(seconds)

    return app
