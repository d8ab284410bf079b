"""The downstream-consumer example of docs/downstream.md, run against the embedded broker."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from jsonschema import Draft202012Validator

from newswire.broker import EmbeddedBroker, ensure_topics
from newswire.schemas import topics
from newswire.schemas.codec import encode
from newswire.schemas.jsonschema_export import JSON_DIR
from newswire.schemas.model import Entry, Person
from support import TIMEOUT, run_command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "downstream.md"


def example_script() -> str:
    """The Python block of docs/downstream.md, exactly as users copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


def entries() -> list[Entry]:
    published = datetime(2016, 3, 14, 19, 16, tzinfo=UTC)
    return [
        Entry(id=f"e{n}", story=story, version=1, op="create", seq=seq, epoch="ep", ts=1457982960000 + n,
              published_at=published, body_text=f"entry {n}", body_html=f"<p>entry {n}</p>",
              people=[Person(name="Vladimir Putin")], language="en")
        for n, (story, seq) in enumerate([("syria", 1), ("budget", 1), ("syria", 2), ("syria", 3)])
    ]


async def produce(bootstrap: str, items: list[Entry]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for entry in items:
            headers = [("ce_specversion", b"1.0"), ("ce_id", f"{entry.story}:{entry.seq}".encode()),
                       ("ce_source", b"newswire-processor"), ("ce_type", b"org.newswire.entry"),
                       ("ce_time", b"2016-03-14T19:16:00Z")]
            await producer.send_and_wait(topics.ENTRIES, encode(entry), key=entry.story.encode(), headers=headers)
    finally:
        await producer.stop()


async def run_example(script: Path, bootstrap: str) -> tuple[int, str, str]:
    return await run_command(sys.executable, str(script), bootstrap, timeout=TIMEOUT * 4)


async def test_example_reads_every_entry_with_key_headers_and_a_valid_payload(tmp_path: Path) -> None:
    """confluent-kafka (librdkafka, not our client) reads newswire.entries; payloads validate against entry.json."""
    script = tmp_path / "read_entries.py"
    script.write_text(example_script(), encoding="utf-8")
    sent = entries()
    async with EmbeddedBroker() as broker:
        await ensure_topics(broker.bootstrap, [topics.ENTRIES], partitions=2)
        await produce(broker.bootstrap, sent)
        code, out, err = await run_example(script, broker.bootstrap)
    assert code == 0, err
    records: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(sent)
    validator = Draft202012Validator(json.loads((JSON_DIR / "entry.json").read_text(encoding="utf-8")))
    for record in records:
        assert list(validator.iter_errors(record["entry"])) == []
        assert record["key"] == record["entry"]["story"]
        assert {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"} <= set(record["headers"])
    assert sorted(Entry.model_validate(r["entry"]).id for r in records) == sorted(e.id for e in sent)
    syria = [r["entry"]["seq"] for r in records if r["key"] == "syria"]
    assert syria == [1, 2, 3]


async def test_example_fails_clearly_when_the_topic_is_missing(tmp_path: Path) -> None:
    """On a broker without newswire.entries the example stops with an error instead of hanging."""
    script = tmp_path / "read_entries.py"
    script.write_text(example_script(), encoding="utf-8")
    async with EmbeddedBroker() as broker:
        code, out, err = await run_example(script, broker.bootstrap)
    assert code != 0
    assert out == ""
    assert f"newswire.entries is not on {broker.bootstrap}" in err
