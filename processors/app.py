"""The faust app: feeds ``newswire.entries.raw`` to a :class:`~newswire.processors.worker.Worker`.

Only faust lives here: the agent hands batches of raw records to the worker, and the
partition signals tell it what it holds; the worker applies the rules and sends each
outcome to ``newswire.entries`` or ``newswire.entries.dlq``.

Crash safety (each ``(id, version)`` on ``newswire.entries`` exactly once): the output topic
is the state. An entry leaves on the same partition number as its raw record, and before a
worker handles the first record of a newly assigned partition it reads that partition of
``newswire.entries`` back (from where it last read, or from the start) and absorbs every
entry into the rules' state (versions, fingerprints, per-story seq/epoch, near-duplicate
signatures). Raw delivery is at-least-once (faust flushes the producer before it commits an
input offset, and on revocation), so after a SIGKILL the records since the last commit come
again, and each one whose entry already reached the topic is recognised as a replay; one
whose entry never got there is emitted now. No changelog table can disagree with the topic,
and none is written per entry. See docs/processors.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import faust
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faust.exceptions import ConsumerNotStarted

from newswire.kafka import KafkaSettings
from newswire.kafka.faust_defaults import apply_faust_defaults
from newswire.landmarks import Landmark, is_recreated, landmark_of
from newswire.schemas import topics
from newswire.settings import FromEnv, var_bool, var_choice, var_float, var_int, var_str

from . import metrics
from .difference import load_dictionary
from .enrich.language import load_model as load_language_model
from .pipeline import NearDuplicatePolicy, PartitionState, Processor
from .worker import RawRecord, Worker

__all__ = ["ProcessorSettings", "EntriesReader", "create_app"]

log = logging.getLogger("newswire.processor")

@dataclass(frozen=True)
class ProcessorSettings(FromEnv):
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    app_id: str = field(default_factory=lambda: var_str("NEWSWIRE_PROCESSOR_GROUP", "newswire-processor"))
    #: Prometheus metrics on this port (0: off).
    metrics_port: int = field(default_factory=lambda: var_int("NEWSWIRE_PROCESSOR_METRICS_PORT", 0, minimum=0))
    #: How long the group waits for members to rejoin; short so a lone worker starts (and restarts) quickly.
    rebalance_timeout_s: float = field(default_factory=lambda: var_float("NEWSWIRE_PROCESSOR_REBALANCE_TIMEOUT_S", 5.0))
    commit_interval_ms: int = field(
        default_factory=lambda: var_int("NEWSWIRE_PROCESSOR_COMMIT_INTERVAL_MS", 500, minimum=10))
    #: How long the producer waits to fill a batch. 0: a worker appends a whole batch of entries before the
    #: producer's sender runs, and records appended while a request is in flight go in the next one, so batches
    #: form without waiting. bench/e2e.py at 200/s: the entry's record reached the gateway's clients p50 11 ms
    #: after its post with 0, 18 ms with 5 (the wait is on every entry's path).
    producer_linger_ms: int = field(default_factory=lambda: var_int("NEWSWIRE_PROCESSOR_LINGER_MS", 0, minimum=0))
    #: Bytes per producer batch (per partition): entries are ~1-3 KB, so the 16 KiB default made a request
    #: (and a future to resolve) for every few entries.
    producer_max_batch_bytes: int = field(
        default_factory=lambda: var_int("NEWSWIRE_PROCESSOR_MAX_BATCH_BYTES", 262_144, minimum=1024))
    #: How long a dead worker's partitions wait before the group hands them to another member.
    session_timeout_s: float = field(default_factory=lambda: var_float("NEWSWIRE_PROCESSOR_SESSION_TIMEOUT_S", 10.0))
    #: Also write each entry's IPTC ninjs view to newswire.entries.ninjs, for newsroom systems.
    ninjs_topic: bool = field(default_factory=lambda: var_bool("NEWSWIRE_PROCESSOR_NINJS_TOPIC", False))
    #: faust's data folder. Tables are in memory and state comes from newswire.entries, so nothing is kept
    #: there: under the temp folder, instead of faust's default of ``<group>-data`` in the working directory.
    data_dir: str = field(default_factory=lambda: var_str(
        "NEWSWIRE_PROCESSOR_DATA_DIR", str(Path(tempfile.gettempdir()) / "newswire-processor")))
    #: Records handled per batch at most, and how long a batch waits to fill (the latency it may add).
    #: faust moves records into a batch only while the agent waits, ~50 µs each, so on a backlog a batch
    #: holds what arrived within the wait: 2 ms made batches of ~15 records, and each batch cost ~1.5 ms
    #: of CPU beyond its records (one produce request, faust's batch bookkeeping): ~310 µs per entry
    #: outside the rules against ~230 with 5 ms (batches of ~55), which 10 or 20 ms hardly improve.
    batch_max: int = field(default_factory=lambda: var_int("NEWSWIRE_PROCESSOR_BATCH_MAX", 500, minimum=1))
    batch_within_ms: float = field(default_factory=lambda: var_float("NEWSWIRE_PROCESSOR_BATCH_WITHIN_MS", 5.0))
    #: A new entry that repeats an earlier one: ``mark`` delivers it with ``duplicate_of`` (the default: if the
    #: rule is wrong, nothing is lost), ``drop`` leaves it out of newswire.entries and records it on the DLQ.
    near_duplicates: NearDuplicatePolicy = field(default_factory=lambda: cast(NearDuplicatePolicy, var_choice(
        "NEWSWIRE_PROCESSOR_NEAR_DUPLICATES", "mark", ("mark", "drop"))))


class EntriesReader:
    """Reads partitions of ``newswire.entries`` back into :class:`PartitionState` (no consumer group)."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self._consumer: AIOKafkaConsumer | None = None

    async def catch_up(self, partition: int, state: PartitionState) -> int:
        """Absorb the partition's entries from ``state.read_to`` to the current end; the count read."""
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka.bootstrap, group_id=None,
                                              enable_auto_commit=False, auto_offset_reset="earliest")
            await self._consumer.start()
        consumer = self._consumer
        tp = TopicPartition(topics.ENTRIES, partition)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        if end < state.read_to or not await self._landmark_found(tp, state):
            log.warning("%s[%d] was recreated (the broker lost its data): starting its state afresh",
                        topics.ENTRIES, partition)
            state.reset()
        if end <= state.read_to:
            return 0
        consumer.seek(tp, state.read_to)
        count = 0
        while await consumer.position(tp) < end:
            batch = (await consumer.getmany(tp, timeout_ms=1000, max_records=5000)).get(tp, [])
            for record in batch:
                try:
                    data = orjson.loads(record.value)
                    state.absorb(data)
                    state.note_on_topic(Landmark(record.offset, data["story"], data["id"], data["version"]))
                except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                    log.warning("skipped unreadable %s[%d]@%d: %s", topics.ENTRIES, partition, record.offset, exc)
                count += 1
        state.read_to = await consumer.position(tp)
        metrics.REBUILT.inc(count)
        return count

    async def _landmark_found(self, tp: TopicPartition, state: PartitionState) -> bool:
        """Whether the newest record the state knows of is still at its offset (True when it knows none).

        End offsets cannot tell a topic deleted and created again (that has caught up since) from the old one;
        the record itself can."""
        landmark = state.landmark
        if landmark is None:
            return True
        assert self._consumer is not None
        self._consumer.seek(tp, landmark.offset)
        batch = (await self._consumer.getmany(tp, timeout_ms=1000, max_records=1)).get(tp, [])
        found = landmark_of(batch[0].offset, batch[0].value) if batch and batch[0].offset == landmark.offset else None
        return not is_recreated(landmark, found)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


def _freeze_long_lived() -> None:
    """Keep what is alive now (language model, gazetteer, faust, the state read back) out of the garbage
    collector's full collections: walking it took ~90 ms, a pause every entry in flight would wait for.
    Frozen objects are still freed by reference counting, only a cycle among them would stay: the price
    is bounded, since this runs at start-up and when partitions are assigned, not per entry."""
    gc.collect()
    gc.freeze()


class _FaustSink:
    """The worker's :class:`~.worker.Sink` on faust's producer (started with the app, flushed before commits)."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    async def send(self, topic: str, key: bytes | None, value: bytes, partition: int | None,
                   headers: list[tuple[str, bytes]]) -> Any:
        return await self.app.producer.send(topic, key, value, partition, None, headers)


def create_app(settings: ProcessorSettings | None = None, *, ready_file: str | None = None) -> faust.App:
    """The faust app; ``ready_file`` is written once partitions are assigned."""
    settings = settings or ProcessorSettings()
    kafka = settings.kafka
    apply_faust_defaults(kafka)
    brokers = [f"kafka://{hostport.strip()}" for hostport in kafka.bootstrap.split(",") if hostport.strip()]
    app = faust.App(
        settings.app_id,
        broker=brokers,
        store="memory://",
        datadir=settings.data_dir,
        topic_partitions=kafka.partitions,
        topic_replication_factor=kafka.replication,
        web_enabled=False,
        producer_acks=-1,
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_batch_size=settings.producer_max_batch_bytes,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval_ms / 1000,
        stream_wait_empty=False,
        topic_allow_declare=True,
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=1.0,
    )

    raw_topic = app.topic(topics.RAW, key_serializer="raw", value_serializer="raw", partitions=kafka.partitions)
    processor = Processor(near_duplicates=settings.near_duplicates)
    load_language_model()  # at start-up, not as a 0.7 s stall on the first entry that needs it
    load_dictionary()  # the same for the word list of spelling fixes
    reader = EntriesReader(kafka)
    worker = Worker(processor, _FaustSink(app), reader, ninjs=settings.ninjs_topic,
                    holds=lambda topic, partition: TopicPartition(topic, partition) in app.consumer.assignment(),
                    on_caught_up=_freeze_long_lived)

    @app.on_partitions_revoked.connect
    async def _revoked(sender: object, revoked: set[TopicPartition], **kwargs: object) -> None:
        worker.revoked(tp.partition for tp in revoked if tp.topic == topics.RAW)
        for tp in revoked:
            if tp.topic == topics.RAW:
                with contextlib.suppress(KeyError):  # no lag sample yet
                    metrics.LAG.remove(str(tp.partition))

    @app.on_partitions_assigned.connect
    async def _assigned(sender: object, assigned: set[TopicPartition], **kwargs: object) -> None:
        worker.assigned(tp.partition for tp in assigned if tp.topic == topics.RAW)
        for tp in assigned:
            if tp.topic == topics.RAW:
                # faust drops records at or below the last offset it read; a recreated raw topic starts at 0
                # again, so a stale read offset would drop every new record without a word.
                app.consumer._read_offset.pop(tp, None)

    @app.on_before_shutdown.connect
    async def _stop_reader(sender: object, **kwargs: object) -> None:
        await reader.stop()

    @app.on_rebalance_complete.connect
    async def _ready(sender: object, **kwargs: object) -> None:
        _freeze_long_lived()
        log.info("processor ready: partitions assigned")
        if ready_file:
            Path(ready_file).write_text("ready\n")

    @app.timer(0.5)
    async def _measure_lag() -> None:
        """Export each raw partition's lag."""
        for tp in app.consumer.assignment():
            if tp.topic != topics.RAW:
                continue
            highwater = app.consumer.highwater(tp)
            if not highwater:
                continue
            position = worker.next_offsets.get(tp.partition)
            if position is None:  # nothing handled there since it was assigned: where does the consumer stand?
                position = await _consumer_position(tp)
                if position is not None:  # asked once; a record handled there moves it on from here
                    worker.next_offsets[tp.partition] = position
            if position is not None:
                metrics.LAG.labels(str(tp.partition)).set(max(highwater - position, 0))

    async def _consumer_position(tp: TopicPartition) -> int | None:
        """The consumer's next offset for ``tp`` (its committed offset after an assignment), None if not known yet.

        Without it, a partition with records from before but none since this worker started would have no lag."""
        try:
            return await asyncio.wait_for(app.consumer.position(tp), 1.0)
        except (asyncio.TimeoutError, KafkaError, ConsumerNotStarted):  # not assigned / not started (yet)
            return None

    @app.agent(raw_topic)
    async def process(stream: faust.StreamT[bytes]) -> None:
        # Batches, not one event at a time: faust's per-event await chain and its Topic.send machinery
        # cost more than the rules themselves. take_events acks a batch only after the worker has handed
        # every entry of it to the producer, and faust flushes the producer before it commits an offset,
        # so the crash-safety argument above holds per batch as it did per event.
        async for events in stream.take_events(settings.batch_max, within=settings.batch_within_ms / 1000):
            await worker.handle_batch(
                RawRecord(e.message.topic, e.message.partition, e.message.offset, e.message.key, e.message.value,
                          round(e.message.timestamp * 1000))  # faust gives the Kafka timestamp in seconds
                for e in events)

    return app
