"""`newswire topics create|describe` against a local Apache Kafka of its own."""

from __future__ import annotations

import json

import pytest

from newswire.kafka import LocalKafka
from newswire.ports import free_port
from newswire.schemas import topics
from support import newswire

pytestmark = pytest.mark.integration



async def test_create_is_idempotent_and_describe_reports_settings() -> None:
    """create makes the topics with partitions and retention, a second run changes nothing, describe shows them."""
    async with LocalKafka() as broker:
        b = broker.bootstrap
        code, out, err = await newswire("topics", "create", "--bootstrap", b, "--partitions", "3",
                                        "--retention-ms", "3600000", "--ninjs")
        assert code == 0, err
        assert [line.split(":")[1].split()[0] for line in out.splitlines()] == ["created"] * 4
        code, out, err = await newswire("topics", "create", "--bootstrap", b, "--partitions", "6")
        assert code == 0, err
        assert "exists 3 partitions (fewer than the 6 asked" in out
        code, out, err = await newswire("topics", "describe", "--bootstrap", b, "--json")
        assert code == 0, err
        rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
        assert set(rows) == {*topics.ALL, topics.NINJS}
        assert {(r["partitions"], r["retention_ms"], r["missing"]) for r in rows.values()} == {(3, "3600000", False)}


async def test_describe_on_an_empty_broker_fails_naming_the_missing_topics() -> None:
    """describe exits 1 and tells the user to run create when the topics do not exist."""
    async with LocalKafka() as broker:
        code, out, err = await newswire("topics", "describe", "--bootstrap", broker.bootstrap)
        assert code == 1
        assert "missing" in out and "newswire topics create" in err


async def test_unreachable_broker_exits_unavailable() -> None:
    """With no broker at the address, create gives up after --wait with exit 69 and a clear message."""
    bootstrap = f"127.0.0.1:{free_port()}"
    code, _, err = await newswire("topics", "create", "--bootstrap", bootstrap, "--wait", "1")
    assert code == 69
    assert f"Kafka at {bootstrap} is not reachable" in err
