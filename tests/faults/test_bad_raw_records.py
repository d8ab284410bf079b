"""Bad records on ``newswire.entries.raw``: each becomes a DLQ record with its reason, and the next good entry flows."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from newswire.kafka import topic_partitions
from newswire.producers.kafka import make_raw_event
from newswire.schemas import RawEntry, encode, topics
from support import TIMEOUT

from .conftest import Up


class TopicTail:
    """Every record of some topics from their beginning, fetched on demand."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.records: list[Any] = []

    async def until(self, what: str, predicate: Any) -> Any:
        deadline = time.monotonic() + TIMEOUT * 2
        while True:
            found = next((r for r in self.records if predicate(r)), None)
            if found is not None:
                return found
            assert time.monotonic() < deadline, f"no record for {what}"
            for records in (await self.consumer.getmany(timeout_ms=100)).values():
                self.records.extend(records)


async def _tail(bootstrap: str, *names: str) -> TopicTail:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    tps = [TopicPartition(name, p) for name in names for p in sorted(await topic_partitions(bootstrap, name))]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    return TopicTail(consumer)


def _good(story: str, n: int) -> bytes:
    entry = RawEntry(id=f"{story}-good-{n}", body_text=f"A good entry number {n} for {story} after bad input.")
    return encode(make_raw_event(story, entry, source="fault-suite"))


def _event_json(story: str, body: str = "text", **over: Any) -> dict[str, Any]:
    event = orjson.loads(_good(story, 0))
    event["entry"]["body_text"] = body
    event.update(over)
    return event


BAD_RECORDS: dict[str, tuple[Any, str]] = {
    # case: (value or a function of the story, words the DLQ reason must contain)
    "garbage_bytes": (b"\x00\x01\xfegarbage\x9c", "UTF-8"),
    "not_json": (b"this is not json {", "malformed JSON"),
    "wrong_schema": (lambda s: orjson.dumps({"hello": "world", "story": s}), "event_id"),
    "unknown_field": (lambda s: orjson.dumps(_event_json(s, colour="red")), "colour"),
    "long_body": (lambda s: orjson.dumps(_event_json(s, body="x" * 150_000, extra="y")), "extra"),
    "deep_nesting": (b'{"a":' * 500 + b"1" + b"}" * 500, "nested deeper"),
    "invalid_utf8_in_string": (lambda s: orjson.dumps(_event_json(s)).replace(b'"text"', b'"te\xffxt"'), "UTF-8"),
    "empty_value": (b"", "JSON"),
    "huge_value": (lambda s: orjson.dumps(_event_json(s, body="x" * 300_000)), "body_text"),
    "duplicate_keys": (lambda s: orjson.dumps(_event_json(s))[:-1] + b',"source":"forged"}', "duplicate"),
}


@pytest.fixture(scope="module")
def pipeline(up: Up) -> Up:
    return up


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
async def test_bad_raw_record_goes_to_the_dlq_with_its_reason_and_the_next_entry_flows(pipeline: Up,
                                                                                       case: str) -> None:
    """A bad raw record is answered by a DLQ record (reason, source, original value); a good one after it flows."""
    story = f"bad-raw-{case.replace('_', '-')}"
    value, reason_words = BAD_RECORDS[case]
    value = value(story) if callable(value) else value
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap, acks="all", max_request_size=2 * 1024 * 1024)
    await producer.start()
    tail = await _tail(pipeline.bootstrap, topics.DLQ, topics.ENTRIES)
    try:
        bad = await producer.send_and_wait(topics.RAW, value, key=story.encode())
        await producer.send_and_wait(topics.RAW, _good(story, 1), key=story.encode())

        def is_dead_letter(r: Any) -> bool:
            if r.topic != topics.DLQ:
                return False
            source = orjson.loads(r.value)["source"]
            return bool(source["partition"] == bad.partition and source["offset"] == bad.offset)

        dead = orjson.loads((await tail.until(f"the dead letter of {case}", is_dead_letter)).value)
        assert reason_words in dead["reason"], dead["reason"]
        assert dead["source"]["topic"] == topics.RAW
        original = (base64.b64decode(dead["value"]) if dead.get("value_encoding") == "base64"
                    else dead["value"].encode())
        assert original == value
        good = await tail.until("the good entry", lambda r: r.topic == topics.ENTRIES
                                and orjson.loads(r.value)["id"] == f"{story}-good-1")
        assert orjson.loads(good.value)["story"] == story
    finally:
        await asyncio.gather(producer.stop(), tail.consumer.stop())
