"""Fixtures of the gateway integration tests: the session's Kafka, a writer of processed entries, a gateway."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from newswire.gateway.server import GatewayServer
from newswire.gateway.settings import GatewaySettings
from newswire.schemas import topics
from support import TIMEOUT


@pytest.fixture(scope="session")
def broker(kafka_bootstrap: str) -> str:
    """Bootstrap address of the session's Kafka (tests/conftest.py)."""
    return kafka_bootstrap


def make_entry(story: str, seq: int, *, eid: str | None = None, version: int = 1, op: str = "create",
               epoch: str = "E1", body: str | None = None, **fields: Any) -> dict[str, Any]:
    """A processed entry as the processor would write it to newswire.entries."""
    return {"schema_version": 1, "id": eid or f"{story}-{seq}", "story": story, "version": version, "op": op,
            "seq": seq, "epoch": epoch, "ts": int(time.time() * 1000),
            "published_at": f"2026-03-14T19:{seq % 60:02d}:00Z", "body_text": body or f"entry {seq} of {story}",
            "body_html": "", "quotes": [], "embeds": [], "hashtags": [], "mentions": [], "links": [],
            "people": [], "places": [], "organisations": [], "language": "en", "keywords": [],
            "fingerprint": "", "source": "test", **fields}


class EntryWriter:
    """Writes processed entries to newswire.entries (what the processor does in production)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def write(self, *entries: dict[str, Any]) -> None:
        for entry in entries:
            await self.producer.send_and_wait(topics.ENTRIES, orjson.dumps(entry), key=entry["story"].encode())


@pytest.fixture
async def writer(broker: str) -> AsyncIterator[EntryWriter]:
    producer = AIOKafkaProducer(bootstrap_servers=broker, max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        yield EntryWriter(producer)
    finally:
        await producer.stop()


@pytest.fixture
def story() -> str:
    """A story id no other test uses (the topic is shared by the session)."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(broker: str) -> GatewaySettings:
    return GatewaySettings(host="127.0.0.1", port=0, bootstrap=broker, jwt_key="k" * 40)


@pytest.fixture
async def gateway(settings: GatewaySettings) -> AsyncIterator[GatewayServer]:
    async with GatewayServer(settings) as server:
        await server.wait_ready(TIMEOUT)
        yield server
