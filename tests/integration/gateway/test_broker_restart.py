"""The gateway across a Kafka that comes back without its data (a new cluster on the same address, as after
a lost disk or topics deleted and created again): every topic starts again at offset 0.

The restart that keeps the data is a fault test (tests/faults/test_broker_restart.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from aiokafka import AIOKafkaProducer

from newswire.gateway.server import GatewayServer
from newswire.gateway.settings import GatewaySettings
from newswire.kafka import LocalKafka, ensure_topics
from newswire.schemas import topics

from .conftest import TIMEOUT, EntryWriter, make_entry

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[LocalKafka]:
    """A broker of this test alone (the session's broker must not restart under other tests), on a temporary
    data folder that :meth:`LocalKafka.stop` removes: started again, it is a new, empty cluster."""
    broker = LocalKafka(log_path=tmp_path / "broker.log")
    await broker.start(TIMEOUT * 2)
    try:
        await ensure_topics(broker.bootstrap, [topics.ENTRIES], partitions=2)
        yield broker
    finally:
        broker.stop()


async def _write(bootstrap: str, *entries: dict[str, Any]) -> None:
    """Write with a producer of its own: one made before the restart would still know the old broker."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await EntryWriter(producer).write(*entries)
    finally:
        await producer.stop()


async def _ready_status(http: aiohttp.ClientSession, gw: GatewayServer) -> int:
    async with http.get(f"http://127.0.0.1:{gw.port}/readyz") as resp:
        return resp.status


async def _until_ready_is(http: aiohttp.ClientSession, gw: GatewayServer, status: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        while await _ready_status(http, gw) != status:  # noqa: ASYNC110 (polling another process's answer)
            await asyncio.sleep(0.1)


async def _recv(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


@contextlib.asynccontextmanager
async def _subscribed(broker: LocalKafka, story: str) -> AsyncIterator[tuple[GatewayServer, Any, Any]]:
    """A ready gateway on ``broker``, an HTTP session, and a websocket subscribed to ``story:story``."""
    settings = GatewaySettings(host="127.0.0.1", port=0, bootstrap=broker.bootstrap)
    async with GatewayServer(settings) as gw, aiohttp.ClientSession() as http:
        await gw.wait_ready(TIMEOUT)
        async with websockets.connect(f"ws://127.0.0.1:{gw.port}/ws") as ws:
            await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
            assert (await _recv(ws))["type"] == "subscribed"
            yield gw, http, ws


async def _restart(broker: LocalKafka, http: aiohttp.ClientSession, gw: GatewayServer, partitions: int) -> None:
    """Stop the broker (its data goes), see /readyz report it, start it again empty with the topic of
    ``partitions``."""
    broker.stop()
    await _until_ready_is(http, gw, 503)
    await broker.start(TIMEOUT * 2)
    await ensure_topics(broker.bootstrap, [topics.ENTRIES], partitions=partitions)


async def test_broker_restart_is_reported_and_the_new_epoch_is_delivered(
        own_broker: LocalKafka, story: str) -> None:
    """/readyz is 503 while the broker is down; back empty, a subscriber gets resync, then the new entries."""
    async with _subscribed(own_broker, story) as (gw, http, ws):
        await _write(own_broker.bootstrap, *(make_entry(story, i, epoch="E1") for i in range(1, 4)))
        assert [(m["seq"], m["entry"]["epoch"]) for m in [await _recv(ws) for _ in range(3)]] == [
            (1, "E1"), (2, "E1"), (3, "E1")]

        await _restart(own_broker, http, gw, partitions=2)
        await _write(own_broker.bootstrap, *(make_entry(story, i, eid=f"{story}-new-{i}", epoch="E2")
                                             for i in range(1, 3)))

        resync = await _recv(ws)
        assert (resync["type"], resync["reason"], resync["epoch"]) == ("resync", "epoch_changed", "E2")
        got = [await _recv(ws) for _ in range(2)]
        assert [(m["type"], m["seq"], m["entry"]["epoch"]) for m in got] == [("entry", 1, "E2"), ("entry", 2, "E2")]
        await _until_ready_is(http, gw, 200)
        async with http.get(f"http://127.0.0.1:{gw.port}/stats") as resp:
            assert (await resp.json())["stories"][story] == {"seq": 2, "epoch": "E2", "held": 2}


async def test_a_topic_back_with_more_partitions_is_read_whole(own_broker: LocalKafka) -> None:
    """Recreated with 4 partitions instead of 2, the topic is read whole: an entry in partition 3 reaches clients."""
    from aiokafka.partitioner import murmur2

    story = next(f"grow-{i}" for i in range(1000)
                 if (murmur2(f"grow-{i}".encode()) & 0x7FFFFFFF) % 4 == 3)
    async with _subscribed(own_broker, story) as (gw, http, ws):
        await _restart(own_broker, http, gw, partitions=4)
        await _write(own_broker.bootstrap, make_entry(story, 1, epoch="E2"))
        got = await _recv(ws)
        assert (got["type"], got["seq"], got["entry"]["id"]) == ("entry", 1, f"{story}-1")
