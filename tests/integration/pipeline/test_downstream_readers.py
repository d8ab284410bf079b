"""Downstream readers that are not ours read what the processor wrote to newswire.entries.

kcat (Debian's package) and confluent-kafka (librdkafka) each read the topic once by assignment
and once as a member of a consumer group (``subscribe``), with the commands of docs/downstream.md
exactly as written there. The entries come from the seed page through the running pipeline, so
the keys, CloudEvents headers and payloads are the ones the processor writes.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from jsonschema import Draft202012Validator

from newswire.kafka import LocalKafka
from newswire.schemas import Entry, topics
from newswire.schemas.jsonschema_export import JSON_DIR
from support import TIMEOUT, run_command

from .test_seed_end_to_end import SEED, publish

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "downstream.md"
SEED_ENTRIES = 9
CE_HEADERS = {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"}


def example_script() -> str:
    """The Python block of docs/downstream.md, exactly as users copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


def kcat_command(name: str, bootstrap: str) -> list[str]:
    """The kcat command of docs/downstream.md marked ``<!-- NAME -->``, with ``$BOOTSTRAP`` filled in."""
    found = re.search(rf"<!-- {name} -->\n```sh\n(?:#[^\n]*\n)*(kcat [^\n]+)\n```", DOC.read_text(encoding="utf-8"))
    assert found, f"no {name} block in {DOC}"
    return [bootstrap if word == "$BOOTSTRAP" else word for word in shlex.split(found.group(1).replace('"', ""))]


@pytest.fixture(scope="module")
def published(pipeline: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A story of its own with the seed page's entries on newswire.entries (waits until all are there),
    after a record that is not JSON, written by something else: readers must get past it."""
    story = f"downstream-{uuid.uuid4().hex[:8]}"

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topics.ENTRIES, b"{not json", key=f"{story}-garbage".encode())
        finally:
            await producer.stop()
        await publish(pipeline, SEED, story)
        for _ in range(int(TIMEOUT * 20)):  # polls for up to TIMEOUT * 4 s
            if len(await _story_records_by_kcat(pipeline.bootstrap, story)) >= SEED_ENTRIES:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"the processor did not write the seed's {SEED_ENTRIES} entries of {story}")

    asyncio.run(go())
    return story


async def _story_records_by_kcat(bootstrap: str, story: str) -> list[dict[str, Any]]:
    code, out, err = await run_command(*kcat_command("kcat-assign", bootstrap), timeout=TIMEOUT * 2)
    assert code == 0, err
    return [r for r in map(json.loads, out.splitlines()) if r["key"] == story]


def _check_records(records: list[dict[str, Any]], story: str) -> None:
    """The story's entries, once each, seq 1..9 in order, each keyed by the story, with the CloudEvents
    headers of an entry and a payload that validates against entry.json."""
    validator = Draft202012Validator(json.loads((JSON_DIR / "entry.json").read_text(encoding="utf-8")))
    entries = [r["entry"] for r in records]
    assert [e["seq"] for e in entries] == list(range(1, SEED_ENTRIES + 1))
    assert len({(e["id"], e["version"]) for e in entries}) == SEED_ENTRIES
    for record, entry in zip(records, entries, strict=True):
        assert record["key"] == story == entry["story"]
        assert list(validator.iter_errors(entry)) == []
        headers = record["headers"]
        assert CE_HEADERS <= set(headers)
        assert headers["ce_type"] == "org.newswire.entry" and headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == "newswire-processor"
        assert headers["ce_id"] == f"{story}/{entry['id']}/{entry['version']}"
        Entry.model_validate(entry)


def _kcat_records(out: str, story: str) -> list[dict[str, Any]]:
    """kcat -J envelopes → {key, headers, entry} (kcat lists headers as [name, value, name, value, ...])."""
    records = []
    for envelope in map(json.loads, out.splitlines()):
        if envelope["key"] != story:
            continue
        flat = envelope.get("headers") or []
        records.append({"key": envelope["key"], "headers": dict(zip(flat[::2], flat[1::2], strict=True)),
                        "entry": json.loads(envelope["payload"])})
    return records


async def test_kcat_reads_entries_by_assignment(pipeline: Any, published: str) -> None:
    """`kcat -C ... -e -J` (docs/downstream.md) prints every entry with its key and CloudEvents headers."""
    code, out, err = await run_command(*kcat_command("kcat-assign", pipeline.bootstrap), timeout=TIMEOUT * 2)
    assert code == 0, err
    _check_records(_kcat_records(out, published), published)


async def test_kcat_reads_entries_in_a_consumer_group(pipeline: Any, published: str) -> None:
    """`kcat -G GROUP ...` joins a consumer group, is assigned the topic's partitions and reads every entry."""
    group = f"kcat-{uuid.uuid4().hex[:8]}"
    command = [group if word == "my-indexer" else word for word in kcat_command("kcat-group", pipeline.bootstrap)]
    code, out, err = await run_command(*command, timeout=TIMEOUT * 4)
    assert code == 0, err
    assert f"Group {group} rebalanced" in err and "assigned: newswire.entries" in err
    _check_records(_kcat_records(out, published), published)


async def _run_example(tmp_path: Path, bootstrap: str, *args: str) -> tuple[int, str, str]:
    script = tmp_path / "read_entries.py"
    script.write_text(example_script(), encoding="utf-8")
    return await run_command(sys.executable, str(script), bootstrap, *args, timeout=TIMEOUT * 4)


async def test_confluent_kafka_reads_entries_by_assignment(pipeline: Any, published: str, tmp_path: Path) -> None:
    """The Python reader of docs/downstream.md (confluent-kafka), assigning every partition itself; a record
    that is not JSON is reported on stderr and skipped."""
    code, out, err = await _run_example(tmp_path, pipeline.bootstrap)
    assert code == 0, err
    assert f"skipped {topics.ENTRIES}[" in err and "not JSON" in err
    _check_records([r for r in map(json.loads, out.splitlines()) if r["key"] == published], published)


async def test_confluent_kafka_reads_entries_in_a_consumer_group(pipeline: Any, published: str,
                                                                 tmp_path: Path) -> None:
    """The same reader with `--group ID` subscribes; it reads every entry once, and commits, so the group
    reading again gets none of them."""
    group = f"confluent-{uuid.uuid4().hex[:8]}"
    code, out, err = await _run_example(tmp_path, pipeline.bootstrap, "--group", group)
    assert code == 0, err
    _check_records([r for r in map(json.loads, out.splitlines()) if r["key"] == published], published)
    code, out, err = await _run_example(tmp_path, pipeline.bootstrap, "--group", group)
    assert code == 0, err
    assert [r for r in map(json.loads, out.splitlines()) if r["key"] == published] == []


async def test_the_python_reader_fails_clearly_when_the_topic_is_missing(tmp_path: Path) -> None:
    """On a Kafka without newswire.entries the reader stops with an error instead of hanging."""
    async with LocalKafka() as broker:
        code, out, err = await _run_example(tmp_path, broker.bootstrap)
    assert code != 0
    assert out == ""
    assert f"{topics.ENTRIES} is not on {broker.bootstrap}" in err
