"""Messages captured from the running pipeline validate against schemas/json and the ninjs schema.

The seed page goes through `newswire publish`, the processor and the gateway; every record that
lands on the three topics and every websocket frame the client receives is checked against the
JSON Schema files that other services rely on.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
import websockets
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import newswire.schemas
from newswire.kafka import topic_partitions
from newswire.schemas import topics
from newswire.schemas.jsonschema_export import JSON_DIR
from newswire.schemas.model import Entry
from newswire.schemas.ninjs import to_ninjs
from support import TIMEOUT

NINJS = Path(newswire.schemas.__file__).with_name("standards") / "ninjs-schema_3.1.json"
#: ninjs refers to the online GeoJSON schema; this stand-in covers the Point geometry newswire writes.
GEOJSON_POINT = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                 "required": ["type", "coordinates"],
                 "properties": {"type": {"const": "Point"}, "coordinates": {"type": "array", "minItems": 2}}}
SEED = Path(__file__).parents[2] / "data" / "seed-liveblog.md"
SEED_ENTRIES = 9


async def publish(bootstrap: str, story: str) -> None:
    """`newswire publish` the seed page into ``story``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "publish", str(SEED), "--story", story, "--bootstrap", bootstrap,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT * 4)
    assert proc.returncode == 0, err.decode()


async def next_of_type(ws: Any, kind: str) -> dict[str, Any]:
    """The next websocket message of type ``kind`` (others are skipped)."""
    async with asyncio.timeout(TIMEOUT * 2):
        while True:
            message: dict[str, Any] = orjson.loads(await ws.recv())
            if message["type"] == kind:
                return message


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((JSON_DIR / f"{name}.json").read_text(encoding="utf-8")))


def errors(check: Draft202012Validator, value: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(value)]


async def capture(bootstrap: str, story: str, want: dict[str, int]) -> dict[str, list[Any]]:
    """Records of ``story`` on each topic, read from the beginning until ``want`` counts are reached."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    got: dict[str, list[Any]] = {name: [] for name in want}
    try:
        parts = [TopicPartition(name, p) for name in want for p in sorted(await topic_partitions(bootstrap, name))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        async with asyncio.timeout(TIMEOUT * 4):
            while any(len(got[name]) < count for name, count in want.items()):
                batches = await consumer.getmany(timeout_ms=200)
                for tp, records in batches.items():
                    got[tp.topic].extend(r for r in records if r.key == story.encode())
    finally:
        await consumer.stop()
    return got


async def test_captured_kafka_records_and_websocket_frames_match_the_schemas(pipeline) -> None:  # type: ignore[no-untyped-def]
    """Raw events, processed entries, a dead letter and the websocket frames all validate; so does their ninjs view."""
    story = f"captured-{uuid.uuid4().hex[:8]}"
    garbage = b'{"not": "a raw event"'
    async with websockets.connect(pipeline.ws_url) as ws:
        await ws.send(orjson.dumps({"type": "subscribe", "channel": f"story:{story}"}).decode())
        subscribed = await next_of_type(ws, "subscribed")
        await publish(pipeline.bootstrap, story)
        frames = [await next_of_type(ws, "entry") for _ in range(SEED_ENTRIES)]
        await ws.send('{"type": "hello"}')
        error = await next_of_type(ws, "error")
        await ws.send(orjson.dumps({"type": "subscribe", "channel": f"tag:{story}", "since": 0}).decode())
        resumed = await next_of_type(ws, "subscribed")
        await ws.send(orjson.dumps({"type": "ping", "id": 1}).decode())
        pong = await next_of_type(ws, "pong")
        await ws.send(orjson.dumps({"type": "unsubscribe", "channel": f"story:{story}"}).decode())
        unsubscribed = await next_of_type(ws, "unsubscribed")
        await ws.send(orjson.dumps({"type": "subscribe", "channel": "all"}).decode())
        channel_error = await next_of_type(ws, "error")

    producer = AIOKafkaProducer(bootstrap_servers=pipeline.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topics.RAW, garbage, key=story.encode())
    finally:
        await producer.stop()
    records = await capture(pipeline.bootstrap, story,
                            {topics.RAW: SEED_ENTRIES + 1, topics.ENTRIES: SEED_ENTRIES, topics.DLQ: 1})

    raw = [r for r in records[topics.RAW] if r.value != garbage]
    assert len(raw) == SEED_ENTRIES
    for record in raw:
        assert errors(validator("raw-event"), orjson.loads(record.value)) == []
        assert {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"} <= {k for k, _ in record.headers}
    processed = [orjson.loads(r.value) for r in records[topics.ENTRIES]]
    for value in processed:
        assert errors(validator("entry"), value) == []
    dead = orjson.loads(records[topics.DLQ][0].value)
    assert errors(validator("dead-letter"), dead) == []
    assert dead["source"]["topic"] == topics.RAW

    assert errors(validator("ws-subscribed"), subscribed) == []
    for frame in frames:
        assert errors(validator("ws-entry"), frame) == []
    assert errors(validator("ws-error"), error) == []
    assert resumed.get("recovered") is True and errors(validator("ws-subscribed"), resumed) == []
    assert errors(validator("ws-pong"), pong) == []
    assert errors(validator("ws-unsubscribed"), unsubscribed) == []
    assert channel_error.get("channel") == "all" and errors(validator("ws-error"), channel_error) == []

    ninjs = Draft202012Validator(json.loads(NINJS.read_text(encoding="utf-8")), registry=Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(GEOJSON_POINT)))
    for value in processed:
        assert errors(ninjs, to_ninjs(Entry.model_validate(value))) == []
