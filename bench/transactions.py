"""What Kafka transactions would cost the processor's consume → produce step, on a local Apache Kafka.

The worker's I/O without its rules: read raw records in batches, write one output record per input,
commit the input offsets. Two ways, on the same backlog and at the same paced rate:

- ``idempotent``: what newswire does. An idempotent producer (acks=all) sends the batch, waits for
  the acknowledgements, then the consumer commits the batch's offsets. Crash safety comes from the
  read-back of newswire.entries (docs/processors.md), not from Kafka.
- ``transactional``: begin a transaction, send the batch, ``send_offsets_to_transaction``, commit.
  A read_committed reader sees each output exactly once without any read-back.

It prints, for each: throughput on a backlog (records/s) and, at a paced rate, the latency from a
record's write to its output becoming visible to a read_committed reader (p50/p99). Everything runs
on 127.0.0.1 and stops by itself.

    python bench/transactions.py [--records 20000] [--rate 500] [--seconds 10] [--batch 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from newswire.kafka import PRODUCER_DEFAULTS, LocalKafka, ensure_topics

PARTITIONS = 4
VALUE = b"x" * 1500  # about an entry's size


async def _fill(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=262_144, **PRODUCER_DEFAULTS)
    await producer.start()
    try:
        futures = [await producer.send(topic, VALUE, key=f"story-{i % 40}".encode()) for i in range(count)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


Step = Callable[[AIOKafkaConsumer, AIOKafkaProducer, str, dict[TopicPartition, list]], Awaitable[None]]


async def _idempotent_step(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, out: str,
                           batch: dict[TopicPartition, list]) -> None:
    futures = [await producer.send(out, r.value, key=r.key, partition=tp.partition)
               for tp, records in batch.items() for r in records]
    await asyncio.gather(*futures)
    await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})


async def _transactional_step(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, out: str,
                              batch: dict[TopicPartition, list]) -> None:
    async with producer.transaction():
        for tp, records in batch.items():
            for r in records:
                await producer.send(out, r.value, key=r.key, partition=tp.partition)
        await producer.send_offsets_to_transaction({tp: records[-1].offset + 1 for tp, records in batch.items()},
                                                   consumer._group_id)  # noqa: SLF001 (aiokafka keeps no public getter)


async def _worker(bootstrap: str, source: str, out: str, group: str, transactional: bool, batch_max: int,
                  stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed")
    extra = {"transactional_id": f"bench-{group}"} if transactional else {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=262_144,
                                **PRODUCER_DEFAULTS, **extra)
    step: Step = _transactional_step if transactional else _idempotent_step
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=batch_max)
            batch = {tp: records for tp, records in batch.items() if records}
            if batch:
                await step(consumer, producer, out, batch)
    finally:
        await producer.stop()
        await consumer.stop()


async def _count_visible(bootstrap: str, topic: str, want: int, timeout: float) -> tuple[int, float]:
    """Read ``topic`` as read_committed until ``want`` records are seen; (count, seconds it took)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await consumer.start()
    started = time.monotonic()
    seen = 0
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        while seen < want and time.monotonic() - started < timeout:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen += len(records)
        return seen, time.monotonic() - started
    finally:
        await consumer.stop()


async def throughput(bootstrap: str, transactional: bool, records: int, batch: int) -> float:
    run = uuid.uuid4().hex[:6]
    source, out = f"bench.tx.in.{run}", f"bench.tx.out.{run}"
    await ensure_topics(bootstrap, [source, out], PARTITIONS)
    await _fill(bootstrap, source, records)
    stop = asyncio.Event()
    task = asyncio.create_task(_worker(bootstrap, source, out, f"g-{run}", transactional, batch, stop))
    seen, seconds = await _count_visible(bootstrap, out, records, 120)
    stop.set()
    await task
    assert seen == records, f"only {seen} of {records} outputs became visible"
    return records / seconds


async def latency(bootstrap: str, transactional: bool, rate: float, seconds: float, batch: int) -> list[float]:
    """Paced writes; per output record, ms from its input's write (the record timestamp) to when a
    read_committed reader receives it."""
    run = uuid.uuid4().hex[:6]
    source, out = f"bench.tx.in.{run}", f"bench.tx.out.{run}"
    await ensure_topics(bootstrap, [source, out], PARTITIONS)
    stop = asyncio.Event()
    worker = asyncio.create_task(_worker(bootstrap, source, out, f"g-{run}", transactional, batch, stop))
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                              isolation_level="read_committed")
    await reader.start()
    reader.assign([TopicPartition(out, p) for p in range(PARTITIONS)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_DEFAULTS)
    await producer.start()
    delays: list[float] = []
    total = int(rate * seconds)

    async def read() -> None:
        while len(delays) < total:
            for records in (await reader.getmany(timeout_ms=200)).values():
                now = time.time() * 1000
                delays.extend(now - int(r.value) for r in records)

    reading = asyncio.create_task(read())
    try:
        await asyncio.sleep(1)  # the worker joins its group
        start = time.monotonic()
        for i in range(total):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            await producer.send(source, str(int(time.time() * 1000)).encode(), key=f"story-{i % 40}".encode())
        await asyncio.wait_for(reading, 60)
    finally:
        stop.set()
        reading.cancel()
        await producer.stop()
        await reader.stop()
        await worker
    return delays


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def main(args: argparse.Namespace) -> None:
    async with LocalKafka() as kafka:
        print(f"local Apache Kafka on {kafka.bootstrap} (started in {kafka.started_in:.1f} s)")
        for transactional in (False, True):
            name = "transactional" if transactional else "idempotent"
            rate = await throughput(kafka.bootstrap, transactional, args.records, args.batch)
            delays = await latency(kafka.bootstrap, transactional, args.rate, args.seconds, args.batch)
            print(f"{name:>13}: backlog of {args.records} records: {rate:,.0f} records/s; at {args.rate:g}/s: "
                  f"write → visible to read_committed p50 {_pct(delays, 50):.1f} ms, p99 {_pct(delays, 99):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="backlog for the throughput run")
    parser.add_argument("--rate", type=float, default=500, help="records/s of the latency run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run")
    parser.add_argument("--batch", type=int, default=200, help="records per consume → produce step at most")
    asyncio.run(main(parser.parse_args()))
