"""A live blog reaches a websocket client through Kafka, the processor and the gateway."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import orjson
import websockets

from support import TIMEOUT

SEED = Path(__file__).parents[2] / "data" / "seed-liveblog.md"


async def publish(pipeline, path: Path, story: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "publish", str(path), "--story", story,
        "--bootstrap", pipeline.bootstrap, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT * 4)
    assert proc.returncode == 0, err.decode()


async def entries(ws, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """The next ``count`` entry messages (other message types are skipped)."""
    got: list[dict] = []
    async with asyncio.timeout(TIMEOUT * 2):
        while len(got) < count:
            msg = orjson.loads(await ws.recv())
            if msg["type"] == "entry":
                got.append(msg)
    return got


async def silence(ws, seconds: float) -> list[dict]:  # type: ignore[no-untyped-def]
    """Entry messages that arrive within ``seconds`` (expected: none)."""
    got: list[dict] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                msg = orjson.loads(await ws.recv())
                if msg["type"] == "entry":
                    got.append(msg)
    except TimeoutError:
        return got


async def subscribe(ws, story: str, since: int | None = None) -> dict:  # type: ignore[no-untyped-def]
    msg: dict = {"type": "subscribe", "channel": f"story:{story}"}
    if since is not None:
        msg["since"] = since
    await ws.send(orjson.dumps(msg).decode())
    async with asyncio.timeout(TIMEOUT):
        while True:
            answer = orjson.loads(await ws.recv())
            if answer["type"] == "subscribed":
                return answer


async def test_seed_page_arrives_once_in_order_then_edits_and_resume(pipeline, tmp_path: Path) -> None:
    """Every entry once, seq 1..9 oldest first; republishing adds nothing; an edit is one update v2;
    `since` replays exactly the rest."""
    story = f"seed-{uuid.uuid4().hex[:8]}"
    async with websockets.connect(pipeline.ws_url) as ws:
        subscribed = await subscribe(ws, story)
        assert subscribed["seq"] == 0

        await publish(pipeline, SEED, story)
        first = await entries(ws, 9)
        assert [m["seq"] for m in first] == list(range(1, 10))
        times = [m["entry"]["published_at"] for m in first]
        assert times == sorted(times) and times[0] == "2016-03-14T18:15:00Z"
        assert len({m["entry"]["id"] for m in first}) == 9
        assert all(m["op"] == "create" and m["entry"]["version"] == 1 for m in first)
        assert len({m["epoch"] for m in first}) == 1
        by_minute = {m["entry"]["published_at"][11:16]: m["entry"] for m in first}
        assert by_minute["18:40"]["hashtags"] == ["Moscow", "Hmeymim", "Latakia", "Putin", "Russia", "withdrawal"]
        assert set(by_minute["18:17"]["hashtags"]) >= {"Putin", "withdrawal", "Syria"}

        await publish(pipeline, SEED, story)
        assert await silence(ws, 3) == []

        edited = tmp_path / "edited.md"
        edited.write_text(SEED.read_text("utf-8").replace(
            "The Syrian opposition has welcomed", "The Syrian opposition has cautiously welcomed"), "utf-8")
        await publish(pipeline, edited, story)
        (update,) = await entries(ws, 1)
        assert (update["op"], update["entry"]["version"], update["seq"]) == ("update", 2, 10)
        assert update["entry"]["id"] == by_minute["19:16"]["id"]
        assert "cautiously welcomed" in update["entry"]["body_text"]
        assert await silence(ws, 2) == []

    async with websockets.connect(pipeline.ws_url) as ws:
        resumed = await subscribe(ws, story, since=5)
        assert resumed["seq"] == 10
        rest = await entries(ws, 5)
        assert [m["seq"] for m in rest] == [6, 7, 8, 9, 10]
        assert rest[-1]["op"] == "update"
        assert await silence(ws, 1) == []


async def test_garbage_on_the_raw_topic_goes_to_the_dead_letter_topic(pipeline) -> None:
    """A poison record is rejected with its reason and original bytes, and the stream keeps flowing."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from newswire.schemas import decode_dead_letter, topics

    story = f"dlq-{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(topics.DLQ, bootstrap_servers=pipeline.bootstrap, auto_offset_reset="earliest",
                                group_id=None)
    producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        async with websockets.connect(pipeline.ws_url) as ws:
            await subscribe(ws, story)
            await producer.send_and_wait(topics.RAW, b"{not json", key=story.encode())
            await publish(pipeline, SEED, story)
            assert len(await entries(ws, 9)) == 9
        async with asyncio.timeout(TIMEOUT * 2):
            while True:
                record = await consumer.getone()
                if record.key == story.encode():
                    break
        letter = decode_dead_letter(record.value)
        assert "malformed JSON" in letter.reason
        assert letter.value == "{not json" and letter.source.topic == topics.RAW
    finally:
        await producer.stop()
        await consumer.stop()
