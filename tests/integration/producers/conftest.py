"""Fixtures of the producer integration tests: the session's Kafka, a raw-topic reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from newswire.kafka import topic_partitions
from newswire.schemas import RawEvent, decode_raw, topics
from support import TIMEOUT


@pytest.fixture(scope="session")
def wait_timeout() -> float:
    """The one time unit of these tests, in seconds (NEWSWIRE_TEST_TIMEOUT)."""
    return TIMEOUT


@pytest.fixture(scope="session")
def broker(kafka_bootstrap: str) -> str:
    """Bootstrap address of the session's Kafka (tests/conftest.py)."""
    return kafka_bootstrap


class RawReader:
    """Reads ``newswire.entries.raw`` from the end it had when created: what a test published next."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    async def read(self, count: int) -> list[tuple[RawEvent, dict[str, bytes], bytes]]:
        """The next ``count`` records as (event, headers, key); fails after TIMEOUT."""
        out: list[tuple[RawEvent, dict[str, bytes], bytes]] = []
        async with asyncio.timeout(TIMEOUT):
            while len(out) < count:
                batches = await self.consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for r in records:
                        out.append((decode_raw(r.value), dict(r.headers), r.key))
        return out

    async def nothing_more(self, within: float = 1.0) -> bool:
        """True when no record arrives within ``within`` seconds."""
        batches = await self.consumer.getmany(timeout_ms=int(within * 1000))
        return not any(batches.values())


@pytest.fixture
async def raw_reader(broker: str) -> AsyncIterator[RawReader]:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False,
                                auto_offset_reset="latest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.RAW, p) for p in sorted(await topic_partitions(broker, topics.RAW))]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:  # resolve the end now: the reader starts after every record written before the test
            await consumer.position(tp)
        yield RawReader(consumer)
    finally:
        await consumer.stop()
