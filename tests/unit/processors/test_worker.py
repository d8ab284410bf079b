"""The processor worker with a list for a sink and a list for newswire.entries: no broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import REGISTRY

from newswire.processors.pipeline import PartitionState, Processor
from newswire.processors.worker import RawRecord, Worker
from newswire.producers.kafka import make_raw_event
from newswire.schemas import RawEntry, encode, topics


class ListSink:
    """Records what the worker sends; each send's future completes with the next offset of its topic."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, dict[str, Any], int | None, dict[str, bytes]]] = []
        self.offsets: dict[str, int] = {}

    async def send(self, topic: str, key: bytes | None, value: bytes, partition: int | None,
                   headers: list[tuple[str, bytes]]) -> asyncio.Future[Any]:
        self.sent.append((topic, key, orjson.loads(value), partition, dict(headers)))
        offset = self.offsets.get(topic, 0)
        self.offsets[topic] = offset + 1
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(type("Metadata", (), {"offset": offset})())
        return done

    def values(self, topic: str) -> list[dict[str, Any]]:
        return [value for sent_topic, _, value, _, _ in self.sent if sent_topic == topic]


class ListReader:
    """newswire.entries as a list per partition; counts the read-backs."""

    def __init__(self, entries: dict[int, list[dict[str, Any]]] | None = None) -> None:
        self.entries = entries or {}
        self.calls: list[int] = []

    async def catch_up(self, partition: int, state: PartitionState) -> int:
        self.calls.append(partition)
        stored = self.entries.get(partition, [])
        for entry in stored[state.read_to:]:
            state.absorb(entry)
        count = len(stored) - state.read_to
        state.read_to = len(stored)
        return count


def _raw(story: str, entry_id: str, text: str, partition: int = 0, offset: int = 0,
         value: bytes | None = None) -> RawRecord:
    entry = RawEntry(id=entry_id, body_text=text, published_at=datetime(2026, 3, 14, 19, 16, tzinfo=UTC))
    data = value if value is not None else encode(make_raw_event(story, entry, source="test", now_ms=1_000))
    return RawRecord(topics.RAW, partition, offset, story.encode(), data)


def _worker(reader: ListReader | None = None, **options: Any) -> tuple[Worker, ListSink, ListReader]:
    sink, reader = ListSink(), reader or ListReader()
    epochs = iter(f"e{n}" for n in range(100))
    return Worker(Processor(epoch_factory=lambda: next(epochs)), sink, reader, clock=lambda: 2.0, **options), sink, \
        reader


async def test_a_batch_is_sent_in_order_on_the_raw_partition_number_with_cloudevents_headers() -> None:
    worker, sink, _ = _worker()
    await worker.handle_batch([_raw("s", f"id{n}", f"post {n} on the ferries", partition=3, offset=n)
                               for n in range(3)])
    sent = [(topic, key, value["id"], value["seq"], partition) for topic, key, value, partition, _ in sink.sent]
    assert sent == [(topics.ENTRIES, b"s", f"id{n}", n + 1, 3) for n in range(3)]
    headers = sink.sent[0][4]
    assert headers["ce_type"] == b"org.newswire.entry" and headers["ce_id"] == b"s/id0/1"
    assert worker.next_offsets == {3: 3}
    await asyncio.sleep(0)  # done-callbacks of completed futures run on the loop's next turn
    assert worker.processor.state(3).landmark is not None and worker.processor.state(3).landmark.offset == 2


async def test_a_partition_is_read_back_once_per_assignment_and_replays_are_recognised() -> None:
    """After a restart the entries already on the topic make their raw records replays; seq goes on."""
    first, sink, _ = _worker()
    records = [_raw("s", f"id{n}", f"post {n} on the ferries", offset=n) for n in range(3)]
    await first.handle_batch(records)
    restarted, again, reader = _worker(ListReader({0: sink.values(topics.ENTRIES)}))
    await restarted.handle_batch([*records, _raw("s", "id9", "a new post on harbour checks", offset=3)])
    assert reader.calls == [0]  # once, before the first record
    assert [v["id"] for v in again.values(topics.ENTRIES)] == ["id9"]
    assert again.values(topics.ENTRIES)[0]["seq"] == 4
    restarted.assigned([0])  # handed back after a rebalance: read back again, from where it stopped
    await restarted.handle(_raw("s", "id10", "one more post", offset=4))
    assert reader.calls == [0, 0]


async def test_records_of_a_partition_lost_while_the_batch_was_in_hand_are_left_to_its_new_owner() -> None:
    worker, sink, reader = _worker(holds=lambda topic, partition: partition != 1)
    await worker.handle_batch([_raw("s", "a", "post a", partition=1), _raw("t", "b", "post b", partition=2)])
    assert [value["id"] for value in sink.values(topics.ENTRIES)] == ["b"] and reader.calls == [2]


async def test_a_bad_record_goes_to_the_dead_letter_topic_with_the_reason_and_the_stream_goes_on() -> None:
    worker, sink, _ = _worker()
    await worker.handle_batch([_raw("s", "x", "unused", offset=5, value=b"\xff not json"),
                               _raw("s", "ok", "the next post", offset=6)])
    [dead] = sink.values(topics.DLQ)
    assert "UTF-8" in dead["reason"] and dead["value_encoding"] == "base64"
    assert dead["source"] == {"topic": topics.RAW, "partition": 0, "offset": 5}
    assert sink.sent[0][4]["ce_type"] == b"org.newswire.entry.rejected"
    assert [value["id"] for value in sink.values(topics.ENTRIES)] == ["ok"]


async def test_a_near_duplicate_under_the_drop_policy_is_recorded_on_the_dead_letter_topic() -> None:
    sink, reader = ListSink(), ListReader()
    worker = Worker(Processor(near_duplicates="drop"), sink, reader)
    text = "Ferry services between Holyhead and Dublin will resume tomorrow morning once harbour checks end."
    await worker.handle_batch([_raw("s", "page-1", text), _raw("s", "rss-2", "UPDATE: " + text, offset=1)])
    [dead] = sink.values(topics.DLQ)
    assert dead["duplicate_of"] == "page-1" and sink.sent[-1][4]["ce_type"] == b"org.newswire.entry.near_duplicate"
    assert [value["id"] for value in sink.values(topics.ENTRIES)] == ["page-1"]


async def test_the_ninjs_view_goes_out_when_asked() -> None:
    worker, sink, _ = _worker(ninjs=True)
    await worker.handle(_raw("s", "n1", "Ferries resume."))
    [item] = sink.values(topics.NINJS)
    assert item["uri"] == "urn:newswire:entry:s:n1"


async def test_the_wait_from_a_raw_records_kafka_timestamp_to_the_worker_is_measured() -> None:
    worker, _, _ = _worker()  # its clock says 2.0 s

    def observed() -> tuple[float, float]:
        return (REGISTRY.get_sample_value("newswire_processor_wait_seconds_sum") or 0.0,
                REGISTRY.get_sample_value("newswire_processor_wait_seconds_count") or 0.0)

    before_sum, before_count = observed()
    record = _raw("s", "w1", "the ferries are back")
    await worker.handle_batch([RawRecord(record.topic, 0, 0, record.key, record.value, timestamp_ms=1_950),
                               RawRecord(record.topic, 0, 1, record.key, record.value)])  # no timestamp: not counted
    after_sum, after_count = observed()
    assert after_count - before_count == 1
    assert abs((after_sum - before_sum) - 0.05) < 1e-9
