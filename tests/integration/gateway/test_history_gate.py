"""A client that resumes before the gateway has read its history waits for it instead of getting a resync."""

from __future__ import annotations

import asyncio
import json

import orjson
import pytest
import websockets

from newswire.gateway.server import GatewayServer
from newswire.gateway.settings import GatewaySettings
from newswire.ports import free_port

from .conftest import TIMEOUT, make_entry

pytestmark = pytest.mark.integration


async def test_a_resume_sent_before_history_is_loaded_is_answered_from_it() -> None:
    """since=1 sent while history is still unread gets entries 2..3 once it is read, with no resync."""
    unreachable = f"127.0.0.1:{free_port()}"  # Kafka never answers: history stays unread until the test loads it
    settings = GatewaySettings(bootstrap=unreachable, port=0, jwt_key="")
    async with GatewayServer(settings) as gateway:
        async with websockets.connect(f"ws://127.0.0.1:{gateway.port}/ws") as ws:
            await ws.send(json.dumps({"type": "subscribe", "channel": "story:gate", "since": 1}))
            await ws.send(json.dumps({"type": "ping"}))
            with pytest.raises(TimeoutError):  # held: neither a resync nor the pong comes while history is unread
                await asyncio.wait_for(ws.recv(), 0.5)
            for seq in (1, 2, 3):
                gateway.hub.ingest_bytes(orjson.dumps(make_entry("gate", seq)), 0)
            gateway._mark_loaded()
            received = [json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) for _ in range(4)]
    assert sorted(m["type"] for m in received) == ["entry", "entry", "pong", "subscribed"]
    assert [m["seq"] for m in received if m["type"] == "entry"] == [2, 3]
    assert next(m for m in received if m["type"] == "subscribed")["recovered"] is True
