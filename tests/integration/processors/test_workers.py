"""Two processor workers in one group, a SIGKILL mid-stream, and the metrics endpoint."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from newswire.kafka import LocalKafka, ensure_topics
from newswire.producers.kafka import make_raw_event
from newswire.schemas import RawEntry, encode, topics
from support import TIMEOUT, read_topic

from .conftest import PARTITIONS, Cluster, wait_until

STORIES = 60
ENTRIES = 2400
WORDS = ("ferry harbour council minister talks ceasefire troops border storm flood market vote court strike "
         "airport bridge hospital school budget police rescue convoy aid").split()


def _text(rng: random.Random, story: int, number: int) -> str:
    """A distinct text per entry (random words), so near-duplicate detection keeps them all."""
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    return f"Story {story} post {number}: {words}."


def _event(story: int, entry_id: str, text: str, op: str = "create") -> tuple[bytes, bytes]:
    entry = RawEntry(id=entry_id, body_text=text, published_at=datetime(2026, 3, 14, 12, tzinfo=UTC))
    event = make_raw_event(f"story-{story}", entry, op=op, source="test")  # type: ignore[arg-type]
    return event.story.encode(), encode(event)


async def _publish(bootstrap: str, records: list[tuple[bytes, bytes]], topic: str = topics.RAW,
                   partition: int | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, key=key, value=value, partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def _committed(bootstrap: str, group: str) -> int:
    """How many raw records the group has committed, over all partitions (faust flushes its output first).

    Counted against what was published."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return sum([await consumer.committed(TopicPartition(topics.RAW, p)) or 0 for p in range(PARTITIONS)])
    finally:
        await consumer.stop()


def test_two_workers_and_a_sigkill_keep_every_entry_exactly_once(cluster: Cluster) -> None:
    """Workers share partitions; one is SIGKILLed mid-stream and restarted; each (id, version) appears once."""
    rng = random.Random(4)
    first, second = cluster.worker("a"), cluster.worker("b")
    first.start()
    second.start()
    first.wait_ready()
    second.wait_ready()
    creates = [_event(n % STORIES, f"e{n}", _text(rng, n % STORIES, n)) for n in range(ENTRIES)]
    edits = [_event(n % STORIES, f"e{n}", _text(rng, n % STORIES, n) + " Updated.") for n in range(0, ENTRIES, 10)]
    replays = [creates[n] for n in range(200) if n % 10]  # re-sent unchanged: recognised, never re-emitted
    expected = {(f"story-{n % STORIES}", f"e{n}", 1) for n in range(ENTRIES)}
    expected |= {(f"story-{n % STORIES}", f"e{n}", 2) for n in range(0, ENTRIES, 10)}

    asyncio.run(_publish(cluster.bootstrap, creates[: ENTRIES // 2]))
    wait_until("both workers to process entries", lambda: all(
        w.sample("newswire_processor_entries_total", op="create") > 20 for w in (first, second)), TIMEOUT * 2)
    second.kill()
    later = creates[ENTRIES // 2 :] + edits + replays
    asyncio.run(_publish(cluster.bootstrap, later))
    second.start()
    second.wait_ready()
    published = ENTRIES // 2 + len(later)
    wait_until("every raw record to be committed", lambda: asyncio.run(
        _committed(cluster.bootstrap, first.group)) >= published, TIMEOUT * 4)

    records = [orjson.loads(value) for _, value in asyncio.run(read_topic(cluster.bootstrap, topics.ENTRIES))]
    seen = Counter((r["story"], r["id"], r["version"]) for r in records)
    repeated = {key for key, count in seen.items() if count > 1}
    assert repeated == set(), [r for r in records if (r["story"], r["id"], r["version"]) in repeated]
    assert set(seen) == expected
    by_story: dict[object, list[tuple[object, object]]] = defaultdict(list)
    for record in records:
        by_story[record["story"]].append((record["seq"], record["epoch"]))
    for story, numbers in by_story.items():
        assert sorted(seq for seq, _ in numbers) == list(range(1, len(numbers) + 1)), story
        assert len({epoch for _, epoch in numbers}) == 1, story


def test_metrics_endpoint_exposes_counts_stage_times_latency_and_lag(cluster: Cluster) -> None:
    """After processing, /metrics shows processed, rejected, duplicates by kind, near-duplicate checks and marks,
    stage times, latency, lag.

    An unreadable record already on newswire.entries is skipped (and logged) when the worker reads its
    state back, and stops nothing."""
    for partition in range(PARTITIONS):
        asyncio.run(_publish(cluster.bootstrap, [(b"x", b"not an entry")], topics.ENTRIES, partition))
    worker = cluster.worker("solo")
    worker.start()
    worker.wait_ready()
    created = _event(1, "a", "Ferry services between Holyhead and Dublin resume tomorrow morning.")
    records = [
        created,
        created,  # replay
        _event(1, "ghost", "gone", op="delete"),  # unknown delete
        _event(1, "b", "Update: Ferry services between Holyhead and Dublin resume tomorrow morning."),  # marked
        (b"story-1", b"{not json"),  # rejected
        _event(2, "c", "Storm warnings for the west coast tonight, the met office said."),
        _event(2, "c", "deleted", op="delete"),
        _event(2, "c", "Storm warnings lifted for the west coast."),  # after its delete
    ]
    asyncio.run(_publish(cluster.bootstrap, records))
    wait_until("the worker to count the last record", lambda: worker.sample(
        "newswire_processor_duplicates_total", kind="deleted") >= 1, TIMEOUT * 2)
    samples = worker.metrics()

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("newswire_processor_entries_total", op="create") == 3
    assert value("newswire_processor_entries_total", op="delete") == 1
    assert value("newswire_processor_rejected_total") == 1
    for kind in ("replay", "unknown_delete", "deleted"):
        assert value("newswire_processor_duplicates_total", kind=kind) == 1, kind
    assert value("newswire_processor_near_duplicate_checks_total", verdict="same") == 1
    assert value("newswire_processor_marked_duplicates_total") == 1
    for stage in ("validate", "normalise", "dedup", "enrich"):  # one observation per emitted entry
        assert value("newswire_processor_stage_seconds_count", stage=stage) == 4
    assert value("newswire_processor_latency_seconds_count") == 4
    wait_until("a lag sample per assigned partition", lambda: any(
        name == "newswire_processor_consumer_lag" for name, _ in worker.metrics()), TIMEOUT)
    assert "skipped unreadable newswire.entries" in worker.log_path.read_text()


def test_a_restarted_worker_reports_no_lag_where_nothing_new_arrived(cluster: Cluster) -> None:
    """A worker that takes over partitions holding older records, with nothing new on them, knows where it
    stands there (the group's committed offsets): each partition has a lag sample, and it is 0."""
    first = cluster.worker("first")
    first.start()
    first.wait_ready()
    for partition in range(PARTITIONS):
        asyncio.run(_publish(cluster.bootstrap, [_event(partition, f"p{partition}", f"Entry on partition {partition}: "
                                                         + " ".join(WORDS[partition:partition + 12]))],
                             partition=partition))
    wait_until("every raw record to be committed", lambda: asyncio.run(
        _committed(cluster.bootstrap, first.group)) >= PARTITIONS, TIMEOUT * 2)
    first.stop()

    second = cluster.worker("second")
    second.start()
    second.wait_ready()
    def lags() -> list[float | None]:
        samples = second.metrics()
        return [samples.get(("newswire_processor_consumer_lag", (("partition", str(p)),))) for p in range(PARTITIONS)]

    wait_until("a lag sample of 0 on every partition", lambda: lags() == [0.0] * PARTITIONS, TIMEOUT * 2)


def test_worker_refuses_an_entries_topic_with_fewer_partitions_than_raw(tmp_path) -> None:
    """Entries leave on their raw partition's number, so a smaller newswire.entries is a clear start-up error."""
    broker = LocalKafka(log_path=tmp_path / "broker.log")
    try:
        asyncio.run(broker.start(TIMEOUT * 4))
        asyncio.run(ensure_topics(broker.bootstrap, [topics.RAW], partitions=4))
        asyncio.run(ensure_topics(broker.bootstrap, [topics.ENTRIES], partitions=2))
        done = subprocess.run([sys.executable, "-m", "newswire.cli", "processor", "--bootstrap", broker.bootstrap],
                              capture_output=True, text=True, timeout=TIMEOUT * 4, check=False)
    finally:
        broker.stop()
    assert done.returncode == 2
    assert "newswire.entries has 2 partitions, fewer than the 4 of newswire.entries.raw" in done.stderr


def test_ninjs_view_is_written_when_enabled(cluster: Cluster) -> None:
    """NEWSWIRE_PROCESSOR_NINJS_TOPIC=true: each entry's IPTC ninjs view appears on newswire.entries.ninjs."""
    worker = cluster.worker("ninjs")
    worker.env["NEWSWIRE_PROCESSOR_NINJS_TOPIC"] = "true"
    worker.start()
    worker.wait_ready()
    asyncio.run(_publish(cluster.bootstrap, [_event(3, "n1", "Ferries resume between Holyhead and Dublin.")]))

    async def first_ninjs() -> dict:
        consumer = AIOKafkaConsumer(topics.NINJS, bootstrap_servers=cluster.bootstrap, group_id=None,
                                    auto_offset_reset="earliest")
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), TIMEOUT * 2)
            assert record.key == b"story-3"
            return orjson.loads(record.value)
        finally:
            await consumer.stop()

    item = asyncio.run(first_ninjs())
    assert item["uri"] == "urn:newswire:entry:story-3:n1"
    plain = [b["value"] for b in item["bodies"] if b["contentType"] == "text/plain"]
    assert plain == ["Ferries resume between Holyhead and Dublin."]
    assert item["type"] == "text" and item["version"] == "1"


def test_under_the_drop_policy_near_duplicates_go_to_the_dlq_with_the_kept_id(cluster: Cluster) -> None:
    """--near-duplicates drop: a copy leaves newswire.entries and is recorded on the DLQ (its own CloudEvents
    type, the kept id, the reason, the original record); a post that differs in news is delivered."""
    worker = cluster.worker("dropper", "newswire-processor-test", "--near-duplicates", "drop")
    worker.start()
    worker.wait_ready()
    original = "The bridge over the river Tyne is open to traffic again after the crash, police say."
    copy = _event(5, "rss-2", "BREAKING: " + original + " https://example.com/tyne?utm_source=rss")
    records = [_event(5, "page-1", original), copy,
               _event(5, "page-3", original.replace("is open", "is closed"))]
    asyncio.run(_publish(cluster.bootstrap, records))
    wait_until("the worker to handle the three records", lambda: worker.sample(
        "newswire_processor_near_duplicate_checks_total", verdict="news") >= 1, TIMEOUT * 2)

    async def read_dlq() -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
        consumer = AIOKafkaConsumer(topics.DLQ, bootstrap_servers=cluster.bootstrap, group_id=None,
                                    auto_offset_reset="earliest")
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), TIMEOUT * 2)
            return [(record.key, record.value, dict(record.headers))]
        finally:
            await consumer.stop()

    [(key, value, headers)] = asyncio.run(read_dlq())
    dead = orjson.loads(value)
    assert key == b"story-5" and headers["ce_type"] == b"org.newswire.entry.near_duplicate"
    assert dead["duplicate_of"] == "page-1"
    assert dead["reason"] == "near duplicate of entry 'page-1': differs only in links on one side only, a label"
    assert dead["value"].encode() == copy[1]
    entries = [orjson.loads(v) for _, v in asyncio.run(read_topic(cluster.bootstrap, topics.ENTRIES))]
    assert sorted(e["id"] for e in entries) == ["page-1", "page-3"]
    assert worker.sample("newswire_processor_duplicates_total", kind="near_duplicate") == 1
    assert worker.sample("newswire_processor_rejected_total") == 0
