"""The HTTP ingest API for newsroom systems (aiohttp).

``POST /v1/stories/{story}/entries``, ``PUT /v1/stories/{story}/entries/{id}``,
``DELETE /v1/stories/{story}/entries/{id}``, ``GET /healthz``, ``GET /readyz``,
``GET /openapi.json``. A request is answered 202 only once Kafka acknowledged its
event; when Kafka cannot be reached the answer is 503 with ``Retry-After``, so
nothing is accepted and then lost.

:func:`create_app` takes the Kafka side as an :class:`EventSink`, so tests and
other hosts can pass any object with ``ready`` and ``send_event``;
:class:`KafkaSink` is the real one, reconnecting in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import importlib.resources
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiohttp import web
from aiokafka.errors import KafkaError

from newswire.kafka import KafkaSettings
from newswire.schemas import Op, RawEntry, RawEvent
from newswire.schemas.codec import SchemaError, loads, validate
from newswire.schemas.model import STORY_ID_MAX, STORY_ID_PATTERN
from newswire.settings import FromEnv, var_int, var_str

from .kafka import Publisher, PublishError, make_raw_event

__all__ = ["EventSink", "IngestSettings", "KafkaSink", "create_app", "load_openapi", "DEFAULT_MAX_BODY_BYTES",
           "DELETED_BODY", "TOKEN_ENV"]

log = logging.getLogger("newswire.ingest")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: The variable holding the API's bearer token.
TOKEN_ENV = "NEWSWIRE_INGEST_TOKEN"
#: The body a delete event carries when the request gives none (the schema needs some text).
DELETED_BODY = "[deleted]"
_STORY = re.compile(STORY_ID_PATTERN)


@dataclass(frozen=True)
class IngestSettings(FromEnv):
    """The ingest API's settings, read once by ``newswire ingest`` (``NEWSWIRE_INGEST_*``, flags override)."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    port: int = field(default_factory=lambda: var_int("NEWSWIRE_INGEST_PORT", 8080, minimum=0))
    #: The bearer token clients must send; empty: refuse to start unless ``--insecure-dev``.
    token: str = field(default_factory=lambda: var_str(TOKEN_ENV, ""))
    max_body_bytes: int = field(default_factory=lambda: var_int(
        "NEWSWIRE_INGEST_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1))
    #: Story ids this API accepts (comma-separated); empty: any.
    stories: frozenset[str] | None = field(default_factory=lambda: frozenset(
        s.strip() for s in var_str("NEWSWIRE_INGEST_STORIES", "").split(",") if s.strip()) or None)


class EventSink(Protocol):
    """Where accepted events go: ``ready`` says whether Kafka is reachable right now."""

    source: str

    @property
    def ready(self) -> bool: ...

    async def send_event(self, event: RawEvent) -> None: ...


class KafkaSink:
    """A :class:`Publisher` that (re)connects in the background, so the API can answer 503 meanwhile."""

    def __init__(self, bootstrap: str, *, source: str = "newswire-ingest", reconnect_delay: float = 1.0,
                 **publisher_options: Any) -> None:
        self.bootstrap = bootstrap
        self.source = source
        self.reconnect_delay = reconnect_delay
        self._options = {"retries": 2, "request_timeout_ms": 5000, **publisher_options}
        self._publisher: Publisher | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._publisher is not None

    async def wait_ready(self) -> None:
        """Return once connected to Kafka (bound it with ``asyncio.timeout``)."""
        await self._connected.wait()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect_loop(), name="ingest-kafka-connect")

    async def _connect_loop(self) -> None:
        delay = self.reconnect_delay
        while self._publisher is None:
            publisher = Publisher(self.bootstrap, source=self.source, **self._options)
            try:
                await publisher.start()
            except (KafkaError, OSError) as exc:
                log.warning("Kafka at %s not reachable (%r); retrying in %.1f s", self.bootstrap, exc, delay)
                with contextlib.suppress(Exception):
                    await publisher.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._publisher = publisher
            self._connected.set()
            log.info("connected to Kafka at %s", self.bootstrap)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._publisher is not None:
            await self._publisher.stop()
            self._publisher = None

    async def send_event(self, event: RawEvent) -> None:
        if self._publisher is None:
            raise PublishError("not connected to Kafka")
        await self._publisher.send_event(event)


def load_openapi() -> dict[str, Any]:
    """The OpenAPI document of this API (package data ``openapi.json``)."""
    text = importlib.resources.files("newswire.producers").joinpath("openapi.json").read_bytes()
    return orjson.loads(text)  # type: ignore[no-any-return]


def _error(status: int, code: str, message: str, *, fields: list[tuple[str, str]] | None = None,
           headers: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields is not None:
        body["fields"] = [{"path": p, "message": m} for p, m in fields]
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json",
                        headers=headers)


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def create_app(sink: EventSink, *, token: str | None, insecure_dev: bool = False,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, publish_timeout: float = 10.0,
               retry_after: int = 5, allowed_stories: frozenset[str] | None = None) -> web.Application:
    """Build the ingest application around ``sink``.

    Without a ``token`` it refuses to build unless ``insecure_dev`` is set (then every request is allowed).
    ``allowed_stories`` (None: any) answers 403 to an authenticated request for another story.
    """
    if not token and not insecure_dev:
        raise ValueError("the ingest API needs a token (NEWSWIRE_INGEST_TOKEN); "
                         "--insecure-dev runs it without one")
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be positive")
    unavailable_headers = {"Retry-After": str(retry_after)}

    def authorised(request: web.Request) -> web.Response | None:
        if not token:
            return story_allowed(request)
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _error(401, "unauthorized", "missing bearer token (Authorization: Bearer TOKEN)",
                          headers={"WWW-Authenticate": 'Bearer realm="newswire-ingest"'})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _error(401, "unauthorized", "the bearer token is not valid for this API",
                          headers={"WWW-Authenticate":
                                   'Bearer realm="newswire-ingest", error="invalid_token"'})
        return story_allowed(request)

    def story_allowed(request: web.Request) -> web.Response | None:
        if allowed_stories is not None and request.match_info["story"] not in allowed_stories:
            return _error(403, "forbidden", "this API does not accept entries for that story")
        return None

    def check_story(request: web.Request) -> web.Response | None:
        story = request.match_info["story"]
        if not _STORY.match(story) or len(story) > STORY_ID_MAX:
            return _error(400, "invalid_story",
                          f"story ids are 1-{STORY_ID_MAX} of A-Z a-z 0-9 . _ : - (starting alphanumeric)",
                          fields=[("story", f"does not match {STORY_ID_PATTERN}")])
        return None

    async def read_entry(request: web.Request, *, required: bool = True) -> RawEntry | web.Response | None:
        if request.content_length is not None and request.content_length > max_body_bytes:
            return _error(413, "too_large", f"the body is over the limit of {max_body_bytes} bytes")
        if not request.body_exists:
            if required:
                return _error(400, "invalid_json", "the request needs a JSON body")
            return None
        if request.content_type != "application/json":
            return _error(415, "unsupported_media_type", "send the entry as Content-Type: application/json")
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "too_large", f"the body is over the limit of {max_body_bytes} bytes")
        try:
            return validate(RawEntry, loads(data))
        except SchemaError as exc:
            return _error(400, "invalid_entry" if exc.errors else "invalid_json", str(exc),
                          fields=exc.errors if exc.errors else None)

    async def accept(story: str, entry: RawEntry, op: Op) -> web.Response:
        if not sink.ready:
            return _error(503, "kafka_unavailable",
                          "Kafka is not reachable; nothing was accepted, retry later",
                          headers=unavailable_headers)
        event = make_raw_event(story, entry, op=op, source=sink.source)
        try:
            await asyncio.wait_for(sink.send_event(event), publish_timeout)
        except (PublishError, KafkaError, TimeoutError) as exc:
            log.warning("event %s for story %s not acknowledged: %r", event.event_id, story, exc)
            return _error(503, "kafka_unavailable", "Kafka did not acknowledge the entry; retry later",
                          headers=unavailable_headers)
        assert event.entry.id is not None
        return _json(202, {"event_id": event.event_id, "story": story, "id": event.entry.id, "op": op})

    async def post_entry(request: web.Request) -> web.Response:
        refused = authorised(request) or check_story(request)
        if refused:
            return refused
        entry = await read_entry(request)
        if not isinstance(entry, RawEntry):
            return entry  # type: ignore[return-value]
        return await accept(request.match_info["story"], entry, "create")

    async def put_entry(request: web.Request) -> web.Response:
        refused = authorised(request) or check_story(request)
        if refused:
            return refused
        entry_id = request.match_info["entry_id"]
        entry = await read_entry(request)
        if not isinstance(entry, RawEntry):
            return entry  # type: ignore[return-value]
        if entry.id is not None and entry.id != entry_id:
            return _error(400, "invalid_entry", "the body's id differs from the id in the path",
                          fields=[("id", f"must be {entry_id!r} or absent")])
        return await accept(request.match_info["story"], entry.model_copy(update={"id": entry_id}), "update")

    async def delete_entry(request: web.Request) -> web.Response:
        refused = authorised(request) or check_story(request)
        if refused:
            return refused
        entry_id = request.match_info["entry_id"]
        if len(entry_id) > 200:
            return _error(400, "invalid_entry", "entry ids are at most 200 characters",
                          fields=[("id", "too long")])
        tombstone = RawEntry(id=entry_id, body_text=DELETED_BODY)
        return await accept(request.match_info["story"], tombstone, "delete")

    async def healthz(request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        if sink.ready:
            return _json(200, {"status": "ready", "kafka": "connected"})
        return _json(503, {"status": "not_ready", "kafka": "unreachable"})

    openapi = orjson.dumps(load_openapi())

    async def openapi_json(request: web.Request) -> web.Response:
        return web.Response(body=openapi, content_type="application/json")

    @web.middleware
    async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "error")
            return _error(exc.status, code, exc.reason, headers={k: v for k, v in exc.headers.items()
                                                                 if k.lower() == "allow"})

    app = web.Application(client_max_size=max_body_bytes, middlewares=[json_errors])
    base = "/v1/stories/{story}/entries"
    app.router.add_post(base, post_entry)
    app.router.add_put(base + "/{entry_id}", put_entry)
    app.router.add_delete(base + "/{entry_id}", delete_entry)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/openapi.json", openapi_json)
    return app
