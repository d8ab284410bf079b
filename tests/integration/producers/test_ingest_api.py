"""The HTTP ingest API against Apache Kafka: every answer a client can get."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from newswire.ports import free_port
from newswire.producers.ingest import DELETED_BODY, KafkaSink, create_app, load_openapi

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 4096
OPENAPI = load_openapi()


async def _client(app: web.Application) -> TestClient:  # type: ignore[type-arg]
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def sink(broker: str, wait_timeout: float) -> AsyncIterator[KafkaSink]:
    s = KafkaSink(broker, source="ingest-test")
    await s.start()
    async with asyncio.timeout(wait_timeout):
        await s.wait_ready()
    yield s
    await s.stop()


@pytest.fixture
async def client(sink: KafkaSink) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    c = await _client(create_app(sink, token=TOKEN, max_body_bytes=LIMIT, allowed_stories=None))
    yield c
    await c.close()


def _documented(path: str, method: str, status: int) -> dict:  # type: ignore[type-arg]
    """The OpenAPI response object of an answer (fails when the answer is not documented)."""
    responses = OPENAPI["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answered {status}, not in openapi.json"
    return responses[str(status)]  # type: ignore[no-any-return]


def _check_against_doc(path: str, method: str, status: int, body: dict) -> None:  # type: ignore[type-arg]
    ref = _documented(path, method, status)["content"]["application/json"]["schema"]["$ref"]
    schema = {**OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]],
              "components": OPENAPI["components"]}
    jsonschema.validate(body, schema)


ENTRIES = "/v1/stories/{story}/entries"
ENTRY = "/v1/stories/{story}/entries/{entry_id}"


async def test_post_is_acknowledged_with_the_event_id_of_the_kafka_record(client: TestClient,
                                                                          raw_reader: Any) -> None:
    """A valid POST answers 202 with the event id of the record Kafka holds, keyed by the story."""
    body = {"body_text": "Putin orders the withdrawal.", "published_at": "2016-03-14T18:17:00Z",
            "author": "RT"}
    resp = await client.post("/v1/stories/syria/entries", json=body, headers=AUTH)
    assert resp.status == 202
    answer = await resp.json()
    _check_against_doc(ENTRIES, "post", 202, answer)
    [(event, headers, key)] = await raw_reader.read(1)
    assert event.event_id == answer["event_id"] and headers["ce_id"] == answer["event_id"].encode()
    assert key == b"syria" and event.op == "create" and event.entry.id == answer["id"]
    assert event.entry.body_text == "Putin orders the withdrawal." and event.entry.author == "RT"
    assert {"ce_source", "ce_type", "ce_specversion", "ce_time"} <= headers.keys()


async def test_post_without_id_gets_a_stable_content_id(client: TestClient, raw_reader: Any) -> None:
    """The same content posted twice gets the same entry id (so the processor can deduplicate)."""
    ids = []
    for _ in range(2):
        resp = await client.post("/v1/stories/syria/entries", json={"body_text": "Same text"}, headers=AUTH)
        assert resp.status == 202
        ids.append((await resp.json())["id"])
    assert ids[0] == ids[1]
    await raw_reader.read(2)


async def test_put_publishes_an_update_with_the_path_id(client: TestClient, raw_reader: Any) -> None:
    """PUT publishes op=update for the id in the path."""
    resp = await client.put("/v1/stories/syria/entries/e-1", json={"body_text": "Corrected"}, headers=AUTH)
    assert resp.status == 202
    assert (await resp.json())["op"] == "update"
    [(event, _, _)] = await raw_reader.read(1)
    assert (event.op, event.entry.id, event.entry.body_text) == ("update", "e-1", "Corrected")


async def test_put_with_a_different_body_id_is_refused(client: TestClient, raw_reader: Any) -> None:
    """A PUT whose body names another id is a 400 on field id, and nothing is published."""
    resp = await client.put("/v1/stories/syria/entries/e-1", json={"id": "e-2", "body_text": "x"},
                            headers=AUTH)
    assert resp.status == 400
    assert [f["path"] for f in (await resp.json())["fields"]] == ["id"]
    assert await raw_reader.nothing_more()


async def test_delete_publishes_a_delete(client: TestClient, raw_reader: Any) -> None:
    """DELETE needs no body and publishes op=delete for the id."""
    resp = await client.delete("/v1/stories/syria/entries/e-1", headers=AUTH)
    assert resp.status == 202
    _check_against_doc(ENTRY, "delete", 202, await resp.json())
    [(event, _, _)] = await raw_reader.read(1)
    assert (event.op, event.entry.id, event.entry.body_text) == ("delete", "e-1", DELETED_BODY)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (b'{"body_text": "x"', None),  # truncated JSON
        (b'{"body_text": "caf\xe9"}', None),  # Latin-1 byte, not UTF-8
        (b'["body_text"]', None),  # not an object
        (b'{"body_text": "x", "colour": "red"}', ["colour"]),  # unknown field
        (b'{"body_text": "x", "published_at": "yesterday"}', ["published_at"]),
        (b'{"body_text": "x", "embeds": [{"text": 3}]}', ["embeds.0.text"]),
        (b'{"author": "nobody"}', ["(root)"]),  # no body at all
        (b'{"body_text": "   "}', ["(root)"]),  # only whitespace
    ],
)
async def test_bad_bodies_get_400_with_field_paths(client: TestClient, raw_reader: Any, data: bytes,
                                                   fields: list[str] | None) -> None:
    """Malformed JSON, invalid UTF-8 and schema errors answer 400 (with field paths) and publish nothing."""
    resp = await client.post("/v1/stories/syria/entries", data=data,
                             headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status == 400
    answer = await resp.json()
    _check_against_doc(ENTRIES, "post", 400, answer)
    if fields is not None:
        assert [f["path"] for f in answer["fields"]] == fields
    assert await raw_reader.nothing_more()


async def test_bad_story_id_is_400(client: TestClient) -> None:
    """A story id outside the allowed characters is a 400 naming the story."""
    resp = await client.post("/v1/stories/-bad*story/entries", json={"body_text": "x"}, headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["fields"][0]["path"] == "story"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": "Bearer "}, {"Authorization": "Bearer wrong-token"}])
async def test_missing_or_wrong_token_is_401(client: TestClient, raw_reader: Any,
                                             headers: dict[str, str]) -> None:
    """No token, another scheme or a wrong token answers 401 with WWW-Authenticate, and publishes nothing."""
    for method in ("post", "put", "delete"):
        path = "/v1/stories/syria/entries" + ("" if method == "post" else "/e-1")
        resp = await client.request(method, path, json={"body_text": "x"}, headers=headers)
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        _check_against_doc(ENTRIES if method == "post" else ENTRY, method, 401, await resp.json())
    assert await raw_reader.nothing_more()


async def test_story_outside_the_allowed_ones_is_403(sink: KafkaSink) -> None:
    """A valid token for a story this server does not take answers 403."""
    client = await _client(create_app(sink, token=TOKEN, allowed_stories=frozenset({"syria"})))
    try:
        resp = await client.post("/v1/stories/ukraine/entries", json={"body_text": "x"}, headers=AUTH)
        assert resp.status == 403
        _check_against_doc(ENTRIES, "post", 403, await resp.json())
        ok = await client.post("/v1/stories/syria/entries", json={"body_text": "x"}, headers=AUTH)
        assert ok.status == 202
    finally:
        await client.close()


async def test_body_over_the_limit_is_413(client: TestClient, raw_reader: Any) -> None:
    """A body over the limit answers 413, with or without a Content-Length, and publishes nothing."""
    big = b'{"body_text": "' + b"x" * LIMIT + b'"}'
    resp = await client.post("/v1/stories/syria/entries", data=big,
                             headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status == 413
    _check_against_doc(ENTRIES, "post", 413, await resp.json())

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    resp = await client.post("/v1/stories/syria/entries", data=chunks(),
                             headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status == 413
    assert await raw_reader.nothing_more()


@pytest.mark.parametrize("content_type",
                         ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_wrong_content_type_is_415(client: TestClient, content_type: str) -> None:
    """A body that is not application/json answers 415."""
    resp = await client.post("/v1/stories/syria/entries", data=b'{"body_text": "x"}',
                             headers={**AUTH, "Content-Type": content_type})
    assert resp.status == 415
    _check_against_doc(ENTRIES, "post", 415, await resp.json())


async def test_unreachable_kafka_is_503_with_retry_after() -> None:
    """With Kafka unreachable, writes answer 503 + Retry-After, /readyz 503 and /healthz 200."""
    sink = KafkaSink(f"127.0.0.1:{free_port()}", reconnect_delay=0.2)
    await sink.start()
    client = await _client(create_app(sink, token=TOKEN))
    try:
        for method, path in (("post", ENTRIES), ("put", ENTRY), ("delete", ENTRY)):
            url = path.format(story="syria", entry_id="e-1")
            resp = await client.request(method, url, json={"body_text": "x"}, headers=AUTH)
            assert resp.status == 503
            assert int(resp.headers["Retry-After"]) > 0
            _check_against_doc(path, method, 503, await resp.json())
        assert (await client.get("/readyz")).status == 503
        assert (await client.get("/healthz")).status == 200
    finally:
        await client.close()
        await sink.stop()


async def test_health_and_readiness_when_connected(client: TestClient) -> None:
    """/healthz and /readyz answer 200 without a token once Kafka is connected."""
    for path in ("/healthz", "/readyz"):
        resp = await client.get(path)
        assert resp.status == 200
        _check_against_doc(path, "get", 200, await resp.json())


async def test_openapi_document_matches_the_routes(client: TestClient) -> None:
    """/openapi.json lists exactly the routes the server answers, and its entry schema is the model's."""
    from newswire.schemas import RawEntry

    served = await (await client.get("/openapi.json")).json()
    assert served == OPENAPI
    documented = {(path, method.upper()) for path, ops in OPENAPI["paths"].items() for method in ops}
    app = client.server.app
    assert app is not None
    routed = {(r.resource.canonical, r.method) for r in app.router.routes() if r.method != "HEAD"}
    assert documented == routed
    model = RawEntry.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = model.pop("$defs")
    assert OPENAPI["components"]["schemas"]["RawEntry"] == model
    assert all(OPENAPI["components"]["schemas"][name] == schema for name, schema in defs.items())


async def test_app_refuses_to_build_without_a_token(sink: KafkaSink) -> None:
    """No token and no insecure-dev flag: the app is not built; with the flag, requests need no token."""
    with pytest.raises(ValueError, match="token"):
        create_app(sink, token=None)
    client = await _client(create_app(sink, token=None, insecure_dev=True))
    try:
        resp = await client.post("/v1/stories/syria/entries", json={"body_text": "x"})
        assert resp.status == 202
    finally:
        await client.close()
