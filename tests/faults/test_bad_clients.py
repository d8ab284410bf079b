"""Bad websocket and SSE clients: each gets an error message or a close with a reason, and others keep receiving.

(Non-JSON, binary and oversized frames on one connection are covered in tests/integration/gateway/test_server.py;
here every case runs against the whole pipeline with a second client listening.)
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import Iterator
from typing import Any

import aiohttp
import orjson
import pytest
import websockets

from support import TIMEOUT

from .conftest import Poster, StoryWatcher, Up, entry_body, running, wait_until

MAX_CHANNELS = 20


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """The pipeline with a 1 s ping interval (half-open connections are found fast) and few channels per client."""
    pipeline = Up(tmp_path_factory.mktemp("up"), extra_env={"NEWSWIRE_GATEWAY_PING_INTERVAL_S": "1",
                                                            "NEWSWIRE_GATEWAY_MAX_CHANNELS": str(MAX_CHANNELS)})
    try:
        pipeline.wait_ready()
        yield pipeline
    finally:
        pipeline.stop()


async def _still_delivering(up: Up, story: str, n: int) -> None:
    """A well-behaved client of ``story`` receives an entry posted now."""
    watcher = StoryWatcher(up.ws_url, story)
    async with running(watcher.run()):
        await wait_until("the good client subscribed", lambda: watcher.subscribed)
        async with aiohttp.ClientSession() as session:
            await Poster(up.ingest_url).post(session, story, entry_body(n, story))
        await wait_until("the entry at the good client", lambda: f"{story}-e{n}" in watcher.ids)


async def _stats_has_viewer(up: Up, story: str) -> bool:
    async with aiohttp.ClientSession() as session, session.get(f"{up.gateway_url}/stats") as resp:
        stats = await resp.json()
    return bool(stats["viewers"].get(story))


async def _stats(up: Up) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{up.gateway_url}/stats") as resp:
        return await resp.json()  # type: ignore[no-any-return]


async def _messages_until_closed(ws: websockets.ClientConnection) -> list[dict[str, Any]]:
    out = []
    with pytest.raises(websockets.ConnectionClosed):
        async with asyncio.timeout(TIMEOUT):
            while True:
                out.append(orjson.loads(await ws.recv()))
    return out


async def _flood(ws: websockets.ClientConnection, frames: Iterator[str]) -> list[dict[str, Any]]:
    """Send ``frames`` while reading; return what the server said before it closed the connection."""

    async def send() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            for frame in frames:
                await ws.send(frame)

    sender = asyncio.create_task(send())
    try:
        return await _messages_until_closed(ws)
    finally:
        await sender


async def test_unknown_message_types_get_an_error_and_the_connection_keeps_working(up: Up) -> None:
    """Unknown types, a non-object and a subscribe without a channel each get an error; ping still answers."""
    async with websockets.connect(up.ws_url) as ws:
        for bad, code in [({"type": "explode"}, "unknown_type"), ({"no": "type"}, "unknown_type"),
                          ([1, 2], "bad_message"), ({"type": "subscribe"}, "bad_message"),
                          ({"type": "subscribe", "channel": "weather:x"}, "unknown_channel"),
                          ({"type": "subscribe", "channel": "story:x", "since": -1}, "bad_since")]:
            await ws.send(orjson.dumps(bad).decode())
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert (reply["type"], reply["code"]) == ("error", code), reply
            assert reply["message"]
        await ws.send('{"type":"ping","id":7}')
        assert orjson.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {"type": "pong", "id": 7,
                                                                             "ts": pytest.approx(0, abs=10**14)}
    await _still_delivering(up, "bad-ws-unknown", 0)


async def _flood_disconnects(up: Up) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{up.gateway_url}/metrics") as resp:
        text = await resp.text()
    match = re.search(r'^newswire_gateway_disconnects_total\{reason="flood"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_a_burst_over_the_rate_gets_rate_limited_then_close_4029(up: Up) -> None:
    """A burst just over twice the message rate: a rate_limited error, then close 4029 with a reason."""
    async with websockets.connect(up.ws_url) as ws:
        frame = orjson.dumps({"type": "subscribe", "channel": "story:bad-ws-burst"}).decode()
        messages = await _flood(ws, iter([frame] * 150))
        assert ws.close_code == 4029 and ws.close_reason, (ws.close_code, ws.close_reason)
    assert any(m.get("code") == "rate_limited" for m in messages)
    await _still_delivering(up, "bad-ws-burst", 0)


async def test_ten_thousand_subscribe_messages_disconnect_the_flooder_only(up: Up) -> None:
    """10,000 subscribes at once: the flooder reads close 4029 with a reason, is counted; others keep receiving."""
    floods = await _flood_disconnects(up)
    async with websockets.connect(up.ws_url) as ws:
        frame = orjson.dumps({"type": "subscribe", "channel": "story:bad-ws-flood"}).decode()
        messages = await _flood(ws, iter([frame] * 10_000))
        assert ws.close_code == 4029 and ws.close_reason, (ws.close_code, ws.close_reason)
    assert any(m.get("code") == "rate_limited" for m in messages)
    await wait_until("the flood counted", lambda: _more_floods(up, floods))
    await _still_delivering(up, "bad-ws-flood", 0)


async def _more_floods(up: Up, before: float) -> bool:
    return await _flood_disconnects(up) > before


async def test_a_hundred_thousand_channels_are_refused_past_the_limit(up: Up) -> None:
    """Past max_channels a subscribe gets too_many_channels; a burst of 100,000 is disconnected as a flood."""
    async with websockets.connect(up.ws_url) as ws:
        for i in range(MAX_CHANNELS + 5):
            await ws.send(orjson.dumps({"type": "subscribe", "channel": f"tag:limit{i}"}).decode())
        replies: list[dict[str, Any]] = []
        async with asyncio.timeout(TIMEOUT):
            while len(replies) < MAX_CHANNELS + 5:
                replies.append(orjson.loads(await ws.recv()))
        assert sum(1 for r in replies if r["type"] == "subscribed") == MAX_CHANNELS
        assert sum(1 for r in replies if r.get("code") == "too_many_channels") == 5
    async with websockets.connect(up.ws_url) as ws:
        floods = await _flood_disconnects(up)
        frames = (orjson.dumps({"type": "subscribe", "channel": f"tag:many{i}"}).decode() for i in range(100_000))
        await _flood(ws, frames)
    await wait_until("the flood counted", lambda: _more_floods(up, floods))
    await _still_delivering(up, "bad-ws-channels", 0)


async def test_half_open_connection_is_dropped_after_missed_pings(up: Up) -> None:
    """A client that completes the handshake and then goes silent (no pongs, no FIN) is dropped within seconds."""
    before = (await _stats(up))["connections"]
    silent = socket.create_connection(("127.0.0.1", up.gateway_port))
    try:
        silent.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        silent.sendall(b"\x81\x80\x00\x00\x00\x00")  # one masked empty text frame: a real client
        await wait_until("the half-open connection counted", lambda: _connections_above(up, before))
        await wait_until("the half-open connection dropped", lambda: _connections_at_most(up, before),
                         timeout=TIMEOUT)
    finally:
        silent.close()
    await _still_delivering(up, "bad-ws-halfopen", 0)


async def _connections_above(up: Up, n: int) -> bool:
    return bool((await _stats(up))["connections"] > n)


async def _connections_at_most(up: Up, n: int) -> bool:
    return bool((await _stats(up))["connections"] <= n)


@pytest.mark.parametrize(("query", "headers", "status"), [
    ("channel=weather:rain", {}, 400),
    ("channel=", {}, 400),
    ("channel=story:" + "x" * 300, {}, 400),
    ("channel=story:bad-sse", {"Last-Event-ID": "not-a-seq"}, 400),
    ("channel=all&since=story=abc", {}, 400),
])
async def test_bad_sse_requests_get_400_with_a_reason_and_sse_still_serves(up: Up, query: str,
                                                                           headers: dict[str, str],
                                                                           status: int) -> None:
    """A bad SSE channel or cursor is answered 400 with a readable reason; a good SSE stream still gets entries."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{up.gateway_url}/sse?{query}", headers=headers) as resp:
            assert resp.status == status
            assert (await resp.text()).strip()
        story = "bad-sse-next"
        async with session.get(f"{up.gateway_url}/sse?channel=story:{story}",
                               timeout=aiohttp.ClientTimeout(total=TIMEOUT * 2)) as stream:
            assert stream.status == 200
            n = len(query)
            await wait_until("the SSE subscriber registered", lambda: _stats_has_viewer(up, story))
            await Poster(up.ingest_url).post(session, story, entry_body(n, story))
            async with asyncio.timeout(TIMEOUT):
                async for line in stream.content:
                    if line.startswith(b"data: ") and orjson.loads(line[6:]).get("type") == "entry":
                        assert orjson.loads(line[6:])["entry"]["id"] == f"{story}-e{n}"
                        break
