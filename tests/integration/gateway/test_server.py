"""The gateway against a real broker: websocket delivery, resume across restarts, SSE, HTTP, limits."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import aiohttp
import jwt
import pytest
import websockets

from newswire.gateway.server import GatewayServer
from newswire.gateway.settings import GatewaySettings

from .conftest import TIMEOUT, EntryWriter, make_entry

pytestmark = pytest.mark.integration


async def recv_json(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def entries(ws: Any, count: int) -> list[dict[str, Any]]:
    out = []
    while len(out) < count:
        msg = await recv_json(ws)
        if msg["type"] == "entry":
            out.append(msg)
    return out


def url(gw: GatewayServer, path: str = "/ws") -> str:
    return f"ws://127.0.0.1:{gw.port}{path}"


async def test_subscriber_gets_each_entry_once_in_order_and_since_replays_the_rest(
        gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """Nine entries arrive once each with seq 1..9; a replayed record is dropped; since 5 replays 6..10."""
    async with websockets.connect(url(gateway)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
        assert (await recv_json(ws))["type"] == "subscribed"
        await writer.write(*(make_entry(story, i) for i in range(1, 10)))
        await writer.write(make_entry(story, 9))  # a processor replay
        await writer.write(make_entry(story, 10))
        got = await entries(ws, 10)
        assert [m["seq"] for m in got] == list(range(1, 11))
        assert all(m["channel"] == f"story:{story}" and m["entry"]["story"] == story for m in got)
    async with websockets.connect(url(gateway)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}", "since": 5}))
        subscribed = await recv_json(ws)
        assert subscribed["seq"] == 10 and subscribed["recovered"] is True
        assert [m["seq"] for m in await entries(ws, 5)] == [6, 7, 8, 9, 10]


async def test_restarted_gateway_serves_since_from_the_topic(
        settings: GatewaySettings, writer: EntryWriter, story: str) -> None:
    """History is rebuilt from newswire.entries: a new gateway process resumes a client exactly."""
    await writer.write(*(make_entry(story, i) for i in range(1, 6)))
    async with GatewayServer(settings) as fresh:
        await fresh.wait_ready(TIMEOUT)
        async with websockets.connect(url(fresh)) as ws:
            await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}", "since": 2}))
            assert (await recv_json(ws))["recovered"] is True
            assert [m["seq"] for m in await entries(ws, 3)] == [3, 4, 5]


async def test_tag_channel_and_edit_delivered_live(gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """A hashtag channel gets matching entries; an edit arrives as op=update with version 2."""
    tag = story.replace("-", "")
    async with websockets.connect(url(gateway)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": f"tag:{tag}"}))
        assert (await recv_json(ws))["type"] == "subscribed"
        await writer.write(make_entry(story, 1), make_entry(story, 2, hashtags=[tag.upper()]),
                           make_entry(story, 3, eid=f"{story}-2", version=2, op="update", hashtags=[tag]))
        got = await entries(ws, 2)
        assert [(m["seq"], m["op"], m["entry"]["version"]) for m in got] == [(2, "create", 1), (3, "update", 2)]


async def test_sse_streams_and_resumes_with_last_event_id(
        gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """SSE on the same port: ids are seqs, and Last-Event-ID resumes with exactly the missed entries."""
    await writer.write(*(make_entry(story, i) for i in range(1, 5)))
    await asyncio.wait_for(_until(lambda: gateway.hub.stories.get(story) and
                                  gateway.hub.stories[story].latest == 4), TIMEOUT)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{gateway.port}/sse", params={"channel": f"story:{story}"},
                            headers={"Last-Event-ID": "2"}) as resp:
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            events = await _sse_events(resp, 3)
    assert events[0][1]["type"] == "subscribed"
    assert [(eid, msg["seq"]) for eid, msg in events[1:]] == [("3", 3), ("4", 4)]


def parse_cursor(event_id: str | None) -> dict[str, int]:
    """An aggregate channel's SSE id (``story=seq,story=seq``) as a map."""
    assert event_id
    return {story: int(seq) for story, _, seq in (part.partition("=") for part in event_id.split(","))}


async def _until(condition: Any) -> None:
    """Poll server state (it has no event to await); callers bound it with TIMEOUT."""
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def _sse_events(resp: aiohttp.ClientResponse, count: int) -> list[tuple[str | None, dict[str, Any]]]:
    events: list[tuple[str | None, dict[str, Any]]] = []
    event_id = None
    assert resp.status == 200, await resp.text()
    async with asyncio.timeout(TIMEOUT):
        while len(events) < count:
            raw = await resp.content.readline()
            assert raw, f"the stream ended after {len(events)} events"
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                events.append((event_id, json.loads(line[6:])))
                event_id = None
    return events


async def test_http_endpoints(gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """/healthz, /readyz, /stats (viewers per story), /metrics and the dashboard answer on the gateway port."""
    base = f"http://127.0.0.1:{gateway.port}"
    async with websockets.connect(url(gateway)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
        await recv_json(ws)
        await writer.write(make_entry(story, 1))
        await entries(ws, 1)
        async with aiohttp.ClientSession() as http:
            for path in ("/healthz", "/readyz"):
                async with http.get(base + path) as resp:
                    assert resp.status == 200, path
            async with http.get(base + "/stats") as resp:
                stats = await resp.json()
            assert stats["viewers"][story] == 1 and stats["stories"][story]["seq"] == 1
            async with http.get(base + "/metrics") as resp:
                metrics = await resp.text()
            assert f'newswire_gateway_subscribers{{channel="story:{story}"}} 1.0' in metrics
            assert "newswire_gateway_deliveries_total" in metrics
            assert "newswire_gateway_delivery_latency_seconds_bucket" in metrics
            async with http.get(base + f"/?story={story}") as resp:
                assert resp.status == 200 and "dashboard.js" in await resp.text()
            async with http.get(base + "/static/../protocol.py") as resp:
                assert resp.status == 404


async def test_bad_frames_get_errors_or_reasoned_closes(gateway: GatewayServer) -> None:
    """Non-JSON gets an error and the connection lives; binary closes 1003; a huge frame closes 1009."""
    async with websockets.connect(url(gateway)) as ws:
        await ws.send("{not json")
        assert (await recv_json(ws))["code"] == "bad_json"
        await ws.send(json.dumps({"type": "ping", "id": "x"}))
        assert (await recv_json(ws))["type"] == "pong"
        await ws.send(b"\x00\x01")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
    async with websockets.connect(url(gateway), max_size=None) as ws:
        await ws.send("x" * (gateway.settings.max_frame_bytes + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_origin_allowlist_and_connection_limit(settings: GatewaySettings) -> None:
    """A browser from another origin gets 403; past max_connections a handshake gets 503."""
    limited = settings.replace(allowed_origins=("https://newsroom.example",), max_connections=1)
    async with GatewayServer(limited) as gw:
        await gw.wait_ready(TIMEOUT)
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url(gw), origin="https://evil.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        async with websockets.connect(url(gw), origin="https://newsroom.example"):  # type: ignore[arg-type]
            with pytest.raises(websockets.InvalidStatus) as full:
                await websockets.connect(url(gw))
            assert full.value.response.status_code == 503


async def test_token_in_query_opens_the_firehose(gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """A valid token passed at connect grants 'all'; without it the firehose is forbidden."""
    token = jwt.encode({"exp": int(time.time()) + 60, "channels": ["all"]}, "k" * 40, algorithm="HS256")
    async with websockets.connect(url(gateway)) as anonymous:
        await anonymous.send(json.dumps({"type": "subscribe", "channel": "all"}))
        assert (await recv_json(anonymous))["code"] == "forbidden"
    async with websockets.connect(url(gateway, f"/ws?token={token}")) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": "all"}))
        assert (await recv_json(ws))["type"] == "subscribed"
        await writer.write(make_entry(story, 1))
        got = await entries(ws, 1)
        assert got[0]["entry"]["story"] == story


async def test_slow_client_is_closed_while_others_keep_receiving(
        settings: GatewaySettings, writer: EntryWriter, story: str) -> None:
    """A client that stops reading is closed with 4008 and counted; a reading client gets every entry."""
    async with GatewayServer(settings.replace(max_buffer_bytes=256 * 1024)) as gw:
        await gw.wait_ready(TIMEOUT)
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", gw.port))
        stalled.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        payload = json.dumps({"type": "subscribe", "channel": f"story:{story}"}).encode()
        mask = b"\x00\x00\x00\x00"
        stalled.sendall(bytes((0x81, 0x80 | len(payload))) + mask + payload)
        try:
            async with websockets.connect(url(gw), max_size=None, max_queue=None) as reader:
                await reader.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
                await recv_json(reader)
                await _until_async(lambda: gw.hub.viewers().get(story) == 2)
                reading = asyncio.create_task(entries(reader, 200))
                await writer.write(*(make_entry(story, i, body="x" * 60_000) for i in range(1, 201)))
                got = await reading
                assert [m["seq"] for m in got] == list(range(1, 201))
            await asyncio.wait_for(_until(lambda: gw.metrics.slow_client_drops._value.get() >= 1), TIMEOUT)
            assert gw.hub.viewers().get(story, 0) == 0
        finally:
            stalled.close()


async def _until_async(condition: Any) -> None:
    await asyncio.wait_for(_until(condition), TIMEOUT)


async def test_flooder_reads_close_4029_with_a_reason_and_others_keep_receiving(
        gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """10,000 subscribes at once: the flooder gets rate_limited and close 4029 with a reason (not a reset)."""
    async with websockets.connect(url(gateway)) as good:
        await good.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
        assert (await recv_json(good))["type"] == "subscribed"
        async with websockets.connect(url(gateway)) as flooder:
            payload = json.dumps({"type": "subscribe", "channel": f"story:{story}-flood"}).encode()
            # one write of 10,000 masked frames (zero mask key): the server's input is still unread when it closes
            masked_frame = bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload
            flooder.transport.write(masked_frame * 10_000)
            said = []
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    said.append(await recv_json(flooder))
        assert (flooder.close_code, flooder.close_reason) == (4029, "more than 100 messages per second")
        assert any(m.get("code") == "rate_limited" for m in said)
        await writer.write(make_entry(story, 1))
        assert [m["seq"] for m in await entries(good, 1)] == [1]


async def test_new_connection_rate_limit_answers_503(settings: GatewaySettings) -> None:
    """Past max_new_connections_per_s a handshake gets 503 with Retry-After."""
    async with GatewayServer(settings.replace(max_new_connections_per_s=1)) as gw:
        await gw.wait_ready(TIMEOUT)
        async with websockets.connect(url(gw)):
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(url(gw))
        assert refused.value.response.status_code == 503
        assert refused.value.response.headers["Retry-After"] == "1"


async def test_compression_on_by_setting(settings: GatewaySettings, writer: EntryWriter, story: str) -> None:
    """With compression on, a client offering permessage-deflate gets it and receives every entry."""
    async with GatewayServer(settings.replace(compression=True)) as gw:
        await gw.wait_ready(TIMEOUT)
        async with websockets.connect(url(gw), compression="deflate") as ws:
            assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
            await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}", "since": 0}))
            assert (await recv_json(ws))["type"] == "subscribed"
            await writer.write(*(make_entry(story, i) for i in range(1, 4)))
            assert [m["seq"] for m in await entries(ws, 3)] == [1, 2, 3]


async def test_compression_off_by_default(gateway: GatewayServer) -> None:
    """permessage-deflate costs memory per connection: the default gateway declines it."""
    async with websockets.connect(url(gateway), compression="deflate") as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


async def test_readyz_is_503_until_kafka_answers(settings: GatewaySettings) -> None:
    """Without a reachable Kafka the gateway is alive (/healthz 200) but not ready (/readyz 503)."""
    from newswire.ports import free_port

    async with GatewayServer(settings.replace(bootstrap=f"127.0.0.1:{free_port()}")) as gw:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{gw.port}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"http://127.0.0.1:{gw.port}/readyz") as resp:
                assert resp.status == 503
                assert (await resp.json())["kafka"] is False


async def test_bad_record_is_skipped_and_counted(gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """A record that is not an entry is counted and skipped; the next entry is still delivered."""
    async with websockets.connect(url(gateway)) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
        await recv_json(ws)
        await writer.producer.send_and_wait("newswire.entries", b"{not an entry", key=story.encode())
        await writer.write(make_entry(story, 1))
        assert [m["seq"] for m in await entries(ws, 1)] == [1]
    assert gateway.hub.counters.bad_records >= 1


async def test_sse_aggregate_channel_ids_are_story_cursors(
        gateway: GatewayServer, writer: EntryWriter, story: str) -> None:
    """On a prefix channel the SSE id is a story=seq cursor, and sending it back resumes after it."""
    other = story + "-b"
    await writer.write(make_entry(story, 1), make_entry(other, 1), make_entry(story, 2))
    await asyncio.wait_for(_until(lambda: gateway.hub.stories.get(story) is not None and
                                  gateway.hub.stories[story].latest == 2), TIMEOUT)
    base = f"http://127.0.0.1:{gateway.port}/sse"
    async with aiohttp.ClientSession() as http:
        async with http.get(base, params={"channel": f"prefix:{story}", "since": "0"}) as resp:
            events = await _sse_events(resp, 4)
        cursors = [parse_cursor(eid) for eid, _ in events[1:]]
        # every id carries its own entry's story=seq and everything sent before it (stories on different
        # partitions may arrive in either order; only per-story order is guaranteed)
        seen: dict[str, int] = {}
        for cursor, (_, msg) in zip(cursors, events[1:], strict=True):
            seen[msg["entry"]["story"]] = msg["seq"]
            assert cursor == seen
        assert [m["seq"] for _, m in events[1:] if m["entry"]["story"] == story] == [1, 2]
        assert cursors[-1] == {story: 2, other: 1}
        await writer.write(make_entry(other, 2))
        async with http.get(base, params={"channel": f"prefix:{story}"},
                            headers={"Last-Event-ID": f"{story}=1,{other}=1"}) as resp:
            events = await _sse_events(resp, 3)
    assert sorted((m["entry"]["story"], m["seq"]) for _, m in events[1:]) == [(story, 2), (other, 2)]
