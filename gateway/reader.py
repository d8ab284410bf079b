"""The gateway's Kafka reader: ``newswire.entries`` from the beginning, in a thread of its own.

In the main loop a fan-out to thousands of sockets keeps the loop busy for tens of milliseconds at a
time, and aiokafka needs several loop turns from one fetch to the next (answer, records handed over,
next request): there, a busy gateway read Kafka once per fan-out round. In its own thread the reader
fetches back to back (the socket writes release the GIL), and hands each batch of records to the main
loop (``deliver``), where they join the writes not made yet (see delivery.py).

It also probes Kafka for readiness every 0.25 s, reads a recreated topic's partitions from offset 0,
and reads every partition again when the topic's partitions change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from newswire.kafka import ensure_topics, topic_partitions
from newswire.schemas import topics

from .settings import GatewaySettings

__all__ = ["KafkaReader", "PartitionsChanged", "Records", "probe_timer_was_late", "recreated_partitions"]

log = logging.getLogger("newswire.gateway")

#: How often the reader asks Kafka for the end offsets: the readiness probe and the check for recreated topics.
#: A ListOffsets request is cheap: probe often, so readiness follows a broker that stops or comes back.
KAFKA_PROBE_INTERVAL_S = 0.25
KAFKA_PROBE_TIMEOUT_S = 0.5
#: How often the reader asks for the topic's partitions (and at once after a recreated topic): a topic
#: deleted and created again, or given more partitions, must be read whole.
PARTITIONS_CHECK_INTERVAL_S = 5.0
#: How long the reader's poll waits for records before it looks at the probe again.
POLL_TIMEOUT_MS = 100

#: Records as the reader hands them over: (partition, offset, value, Kafka timestamp), in order.
Records = list[tuple[int, int, bytes | None, int]]


def recreated_partitions(next_offsets: dict[int, int], end_offsets: dict[int, int]) -> list[int]:
    """Partitions whose end offset is below the next offset to read: Kafka reports exact ends, so such a
    partition was deleted and created again (or its cluster lost its data) and starts over at 0."""
    return sorted(p for p, end in end_offsets.items() if end < next_offsets.get(p, 0))


def probe_timer_was_late(elapsed_s: float, timeout_s: float) -> bool:
    """Whether a probe that timed out did so because the reader's event loop ran its timer late (the main
    thread held the GIL, say ingesting a large batch of history, or the machine was busy), not because
    Kafka stayed silent for the timeout: then the probe proves nothing."""
    return elapsed_s > timeout_s * 1.5


class PartitionsChanged(Exception):
    """The topic's partitions are not the ones the reader was assigned: read them all, from where it was."""


class KafkaReader:
    """Reads ``newswire.entries`` in its own thread and calls ``deliver(records, history_read)`` in the main loop.

    ``history_read`` is true once, with the batch that reaches the ends the reader found at its start."""

    def __init__(self, settings: GatewaySettings, deliver: Callable[[Records, bool], None]) -> None:
        self.settings = settings
        self.deliver = deliver
        #: whether Kafka answered the last probe (readiness)
        self.kafka_ok = False
        #: last offset read per partition: a reconnect to Kafka continues where it stopped
        self.offsets: dict[int, int] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._main_loop: asyncio.AbstractEventLoop | None = None
        #: whether the reader has read up to the ends it found at start (its own view)
        self._history_read = False

    def start(self) -> None:
        """Start the thread (from the main loop, whose ``deliver`` calls it makes)."""
        self._main_loop = asyncio.get_running_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), name="newswire-kafka-reader",
                                        daemon=True)
        self._thread.start()
        started.wait()

    async def stop(self) -> None:
        thread, loop, task = self._thread, self._loop, self._task
        if thread is None:
            return
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # its loop already ended
                loop.call_soon_threadsafe(task.cancel)
        await asyncio.to_thread(thread.join, 10)
        if thread.is_alive():
            log.warning("the Kafka reader did not stop within 10 s")
        self._thread = None

    def _run(self, started: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            started.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consume()

        try:
            asyncio.run(main())
        finally:
            started.set()

    def _to_main(self, records: Records, history_read: bool) -> None:
        """Hand records to the main loop (in call order), from the reader's thread."""
        assert self._main_loop is not None
        with contextlib.suppress(RuntimeError):  # the main loop closed: the server is stopping
            self._main_loop.call_soon_threadsafe(self.deliver, records, history_read)

    async def _consume(self) -> None:
        """Read ``newswire.entries`` from the beginning forever, restarting the client after errors."""
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", fetch_max_wait_ms=self.settings.kafka.fetch_max_wait_ms,
                max_partition_fetch_bytes=8 * 1024 * 1024)
            # asks for the topic's partitions (fresh metadata) for as long as this connection lasts
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap, request_timeout_ms=10_000)
            try:
                await consumer.start()
                await admin.start()
                await self._read(consumer, admin)
            except asyncio.CancelledError:
                raise
            except PartitionsChanged as exc:
                log.warning("%s: %s; reading them all", topics.ENTRIES, exc)
                continue
            except (KafkaError, OSError) as exc:
                self._set_kafka_ok(False)
                log.warning("Kafka at %s: %r; retrying", self.settings.bootstrap, exc)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()
                with contextlib.suppress(Exception):
                    await admin.close()
            await asyncio.sleep(1)

    async def _read(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        parts = await self._partitions(admin)
        tps = [TopicPartition(topics.ENTRIES, p) for p in sorted(parts)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        self._forget_recreated({tp.partition: off for tp, off in end.items()})
        positions = {tp: self.offsets.get(tp.partition, -1) + 1 for tp in tps}
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
        self._set_kafka_ok(True)
        loaded_at: dict[Any, int] = {tp: off for tp, off in end.items()}
        if not self._history_read and all(positions[tp] >= loaded_at[tp] for tp in tps):
            self._history_read = True
            self._to_main([], True)
        checked = partitions_checked = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=POLL_TIMEOUT_MS, max_records=10_000)
            records: list[Any] = []
            for tp, messages in batch.items():
                partition = tp.partition
                records.extend((partition, m.offset, m.value, m.timestamp) for m in messages)
                if messages:
                    self.offsets[partition] = messages[-1].offset
            newly_read = not self._history_read and all(
                self.offsets.get(tp.partition, -1) + 1 >= loaded_at[tp] for tp in tps)
            if newly_read:
                self._history_read = True
            if records or newly_read:
                self._to_main(records, newly_read)
            if time.monotonic() - checked > KAFKA_PROBE_INTERVAL_S:
                checked = time.monotonic()
                recreated = await self._probe(consumer, tps)
                if recreated or checked - partitions_checked > PARTITIONS_CHECK_INTERVAL_S:
                    partitions_checked = checked
                    await self._check_partitions(admin, {tp.partition for tp in tps})

    async def _check_partitions(self, admin: AIOKafkaAdminClient, assigned: set[int]) -> None:
        """Raise :class:`PartitionsChanged` when the topic's partitions (fresh metadata) differ from ``assigned``."""
        try:
            parts = await asyncio.wait_for(topic_partitions(admin, topics.ENTRIES), KAFKA_PROBE_TIMEOUT_S * 4)
        except (KafkaError, OSError):
            return  # the probe reports an outage; the partitions are checked again later
        if parts and parts != assigned:
            raise PartitionsChanged(f"partitions {sorted(parts)} (reading {sorted(assigned)})")

    async def _probe(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> list[int]:
        """Ask Kafka for the end offsets: readiness follows the answer, and a recreated topic is read from 0.
        Returns the partitions found recreated.

        aiokafka reconnects on its own, so the consumer raising is no sign of an outage; this is.
        """
        started = time.monotonic()
        try:
            end = await asyncio.wait_for(consumer.end_offsets(tps), KAFKA_PROBE_TIMEOUT_S)
            recreated = self._forget_recreated({tp.partition: off for tp, off in end.items()})
        except (KafkaError, OSError) as exc:  # TimeoutError is an OSError
            if isinstance(exc, TimeoutError) and probe_timer_was_late(time.monotonic() - started,
                                                                      KAFKA_PROBE_TIMEOUT_S):
                log.debug("Kafka probe inconclusive: the reader ran %.2f s late", time.monotonic() - started)
                return []  # the reader's loop ran late, past the timeout: no sign of Kafka either way
            if self.kafka_ok:
                log.warning("Kafka at %s not answering: %r; retrying", self.settings.bootstrap, exc)
            self._set_kafka_ok(False)
            return []
        for partition in recreated:
            consumer.seek(TopicPartition(topics.ENTRIES, partition), 0)
        self._set_kafka_ok(True)
        return recreated

    def _forget_recreated(self, end_offsets: dict[int, int]) -> list[int]:
        """Read recreated partitions from offset 0 again; the history already held stays.

        The protocol tells clients: the processor starts a new epoch on a recreated topic (resync)."""
        recreated = recreated_partitions({p: offset + 1 for p, offset in self.offsets.items()}, end_offsets)
        for partition in recreated:
            log.warning("%s[%d] ends at offset %d, below the %d records read: the topic was recreated; reading "
                        "it from offset 0", topics.ENTRIES, partition, end_offsets[partition],
                        self.offsets[partition] + 1)
            self.offsets[partition] = -1
        return recreated

    def _set_kafka_ok(self, ok: bool) -> None:
        if ok and not self.kafka_ok:
            log.info("Kafka at %s answers", self.settings.bootstrap)
        self.kafka_ok = ok

    async def _partitions(self, admin: AIOKafkaAdminClient) -> set[int]:
        parts = await topic_partitions(admin, topics.ENTRIES)
        if not parts:
            kafka = self.settings.kafka
            await ensure_topics(self.settings.bootstrap, [topics.ENTRIES], kafka.partitions, kafka.replication,
                                kafka.topic_configs())
            parts = await topic_partitions(admin, topics.ENTRIES)
        if not parts:
            raise KafkaError(f"topic {topics.ENTRIES} has no partitions")
        return parts
