"""A processor worker's job between the raw records and the topics, with its I/O passed in.

:class:`Worker` takes batches of raw records, reads a partition's state back from
``newswire.entries`` before its first record (through a :class:`StateReader`), applies the rules
(:class:`~newswire.processors.pipeline.Processor`) and hands each outcome to a :class:`Sink`:
the entry to ``newswire.entries`` on the raw record's partition number, a rejected record or a
dropped near duplicate to ``newswire.entries.dlq``. The faust agent (:mod:`.app`) only feeds it
records and tells it which partitions it was given or lost; tests give it a sink and a reader
that are lists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from newswire.landmarks import Landmark
from newswire.schemas import DeadLetterSource, Entry, encode, topics
from newswire.schemas.cloudevents import (
    CE_TYPE_ENTRY,
    CE_TYPE_NEAR_DUPLICATE,
    CE_TYPE_REJECTED,
    cloudevents_headers,
)
from newswire.schemas.ninjs import to_ninjs

from . import metrics
from .pipeline import PartitionState, Processor

__all__ = ["CE_SOURCE", "RawRecord", "Sink", "StateReader", "Worker"]

log = logging.getLogger("newswire.processor")

#: ``ce_source`` of every record a worker writes.
CE_SOURCE = "newswire-processor"


@dataclass(frozen=True)
class RawRecord:
    """One record of ``newswire.entries.raw`` as the worker needs it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    #: the record's Kafka timestamp in ms (None: not known)
    timestamp_ms: int | None = None


class Sink(Protocol):
    """Where outcomes go. ``send`` returns once the record is handed to the producer, with a future that
    completes when Kafka has it (its result has the record's ``offset``)."""

    def send(self, topic: str, key: bytes | None, value: bytes, partition: int | None,
             headers: list[tuple[str, bytes]]) -> Awaitable[Any]: ...


class StateReader(Protocol):
    """Reads a partition of ``newswire.entries`` back into the rules' state; returns how many entries it read."""

    def catch_up(self, partition: int, state: PartitionState) -> Awaitable[int]: ...


class Worker:
    """The rules between a raw topic and its outputs, for the partitions this worker holds."""

    def __init__(self, processor: Processor, sink: Sink, reader: StateReader, *, ninjs: bool = False,
                 holds: Callable[[str, int], bool] = lambda topic, partition: True,
                 clock: Callable[[], float] = time.time,
                 on_caught_up: Callable[[], None] = lambda: None) -> None:
        self.processor = processor
        self.sink = sink
        self.reader = reader
        self.ninjs = ninjs
        #: whether the consumer still holds a partition (a batch in hand may outlive a revocation)
        self.holds = holds
        self.clock = clock
        self.on_caught_up = on_caught_up
        #: partitions whose state was read back since they were assigned
        self.caught_up: set[int] = set()
        #: per partition, the offset after the last record handled (for the lag metric)
        self.next_offsets: dict[int, int] = {}

    def assigned(self, partitions: Iterable[int]) -> None:
        """Partitions (re)assigned: read their state back again before their next record. After a broker restart
        without storage the topic is new and empty, and the read-back resets the partition's state."""
        for partition in partitions:
            self.caught_up.discard(partition)

    def revoked(self, partitions: Iterable[int]) -> None:
        """Partitions taken away: another worker may emit for them before they come back."""
        for partition in partitions:
            self.caught_up.discard(partition)
            self.next_offsets.pop(partition, None)

    async def handle_batch(self, records: Iterable[RawRecord]) -> None:
        for record in records:
            await self.handle(record)

    async def handle(self, record: RawRecord) -> None:
        """One raw record: read its partition back first if needed, then send what the rules decide."""
        partition = record.partition
        if record.timestamp_ms is not None:
            metrics.WAIT_SECONDS.observe(max(self.clock() - record.timestamp_ms / 1000, 0.0))
        if partition not in self.caught_up:
            if not self.holds(record.topic, partition):
                return  # revoked while this batch was in hand: its new owner handles the record
            started = time.monotonic()
            count = await self.reader.catch_up(partition, self.processor.state(partition))
            self.caught_up.add(partition)
            self.on_caught_up()
            log.info("partition %d: read %d entries back from %s in %.2f s", partition, count, topics.ENTRIES,
                     time.monotonic() - started)
        source = DeadLetterSource(topic=record.topic, partition=partition, offset=record.offset)
        outcome = self.processor.handle(record.key, record.value, source)
        if outcome.near_verdict is not None:
            metrics.NEAR_DUPLICATE_CHECKS.labels(outcome.near_verdict).inc()
        if outcome.dropped is not None:
            metrics.DUPLICATES.labels(outcome.dropped).inc()
        if outcome.dead_letter is not None:
            if outcome.dropped is not None:  # a near duplicate under the drop policy: the DLQ is its record
                log.info("dropped %s[%d]@%d: %s", record.topic, partition, record.offset, outcome.dead_letter.reason)
                ce_type = CE_TYPE_NEAR_DUPLICATE
            else:
                metrics.REJECTED.inc()
                log.warning("rejected %s[%d]@%d: %s", record.topic, partition, record.offset,
                            outcome.dead_letter.reason)
                ce_type = CE_TYPE_REJECTED
            headers = cloudevents_headers(f"{record.topic}/{partition}/{record.offset}", CE_SOURCE, ce_type,
                                          int(self.clock() * 1000))
            await self.sink.send(topics.DLQ, record.key, encode(outcome.dead_letter), None, headers)
        elif outcome.entry is not None:
            await self._emit(outcome.entry, partition)
            self.processor.apply(outcome)
            metrics.PROCESSED.labels(outcome.entry.op).inc()
            if outcome.entry.duplicate_of:
                metrics.MARKED_DUPLICATES.inc()
            metrics.LATENCY_SECONDS.observe(max(self.clock() - outcome.entry.ts / 1000, 0.0))
            for stage, seconds in outcome.timings.items():
                metrics.STAGE_SECONDS.labels(stage).observe(seconds)
        self.next_offsets[partition] = record.offset + 1

    async def _emit(self, entry: Entry, partition: int) -> None:
        key = entry.story.encode()
        headers = cloudevents_headers(f"{entry.story}/{entry.id}/{entry.version}", CE_SOURCE, CE_TYPE_ENTRY, entry.ts)
        # same partition number as the raw record: the read-back after a restart finds it there
        sent = await self.sink.send(topics.ENTRIES, key, encode(entry), partition, headers)
        sent.add_done_callback(_landmark_setter(self.processor.state(partition), entry))
        if self.ninjs:
            await self.sink.send(topics.NINJS, key, orjson.dumps(to_ninjs(entry)), None, headers)


def _landmark_setter(state: PartitionState, entry: Entry) -> Callable[[Any], None]:
    """A done-callback for an entry's send: note where the entry landed (nothing if the send failed)."""

    def note(sent: Any) -> None:
        if not sent.cancelled() and sent.exception() is None:
            state.note_on_topic(Landmark(sent.result().offset, entry.story, entry.id, entry.version))

    return note
