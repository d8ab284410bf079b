"""The gateway's routes and lifecycle: websocket, SSE and HTTP on one port (aiohttp).

Each job has its room: the protocol's decisions (channels, history, resume, admission, rates) in
:mod:`.protocol`, sans I/O; the Kafka reader in :mod:`.reader`; the fan-out scheduling and writes in
:mod:`.scheduler` and :mod:`.fanout`; how bytes reach a websocket or SSE client in :mod:`.transports`.
This module starts and stops them and connects a request to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from importlib import resources
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Request as WsRequest
from websockets.protocol import State
from websockets.server import ServerProtocol

from newswire.schemas import topics
from newswire.schemas.ws import CLOSE_REASONS

from .fanout import NATIVE
from .gc_policy import FullCollections
from .metrics import GatewayMetrics
from .protocol import BadRecord, Hub, parse_channel
from .reader import KafkaReader, Records
from .scheduler import FanoutScheduler
from .settings import GatewaySettings
from .transports import SseOut, WebSocketOut, parse_last_event_id

__all__ = ["GatewayServer"]

log = logging.getLogger("newswire.gateway")
#: websockets logs each connection's protocol events at debug level: nothing the gateway's log needs.
_QUIET = logging.getLogger("newswire.gateway.websockets")
_QUIET.setLevel(logging.WARNING)


class GatewayServer:
    """One gateway process: ``async with GatewayServer(settings) as gw:`` serves until the block ends."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        self.hub = Hub(self.settings)
        self.metrics = GatewayMetrics(self.hub)
        self.loaded = False
        #: set once history is loaded: until then a client's ``since`` cannot be answered, so its messages wait
        self._history_loaded = asyncio.Event()
        self.port = self.settings.port
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.reader = KafkaReader(self.settings, self._ingest)
        self.scheduler = FanoutScheduler(self.hub, self.settings, self.metrics)
        self._collections = (FullCollections(self.settings.gc_full_interval_s, self.settings.gc_full_after_closed)
                             if self.settings.gc_full_interval_s > 0 else None)
        self._websockets: set[WebSocketOut] = set()

    @property
    def kafka_ok(self) -> bool:
        """Whether Kafka answered the reader's last probe."""
        return self.reader.kafka_ok

    # ---- lifecycle -------------------------------------------------------------------------------------

    async def __aenter__(self) -> GatewayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        app.router.add_get("/sse", self._sse)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/stats", self._stats)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port, reuse_port=True, backlog=4096)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        if self._collections is not None:
            self._collections.start(time.monotonic())
        self.reader.start()
        self._tasks = [loop.create_task(self._housekeeping())]
        log.info("gateway listening on http://%s:%d (ws /ws, sse /sse); fan-out writes: %s", self.settings.host,
                 self.port, "the C write loop" if NATIVE else "Python (no C write loop was built)")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.reader.stop()
        closing = [asyncio.ensure_future(out.close(1001, "server shutting down", self.settings.close_grace_s))
                   for out in list(self._websockets)]
        if closing:
            _, late = await asyncio.wait(closing, timeout=self.settings.close_grace_s)
            for unfinished in late:
                unfinished.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        self.scheduler.close()
        if self._collections is not None:
            self._collections.stop()

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once history is loaded and Kafka answers (what /readyz reports)."""
        deadline = time.monotonic() + timeout
        while not (self.loaded and self.kafka_ok):
            if time.monotonic() > deadline:
                raise TimeoutError(f"gateway not ready within {timeout:.0f} s")
            await asyncio.sleep(0.02)

    # ---- Kafka in ---------------------------------------------------------------------------------------

    def _ingest(self, records: Records, history_read: bool) -> None:
        """(In the main loop) records read from ``newswire.entries``, in order, into the hub."""
        for partition, offset, value, timestamp in records:
            try:
                self.hub.ingest_bytes(value, timestamp)
            except BadRecord as exc:
                log.warning("skipping %s[%d]@%d: %s", topics.ENTRIES, partition, offset, exc)
        if records:
            self.scheduler.kick()
        if history_read and not self.loaded:
            self._mark_loaded()
            if self._collections is not None:
                self._collections.freeze_startup()
            log.info("history loaded: %d stories", len(self.hub.stories))

    def _mark_loaded(self) -> None:
        self.loaded = True
        self._history_loaded.set()

    # ---- HTTP handlers ---------------------------------------------------------------------------------

    def _admit(self, request: web.Request) -> web.Response | None:
        """The hub's admission decision (origin, connection limit, rate) as an HTTP refusal, or None."""
        refusal = self.hub.admit(request.headers.get("Origin"))
        if refusal is None:
            return None
        self.metrics.refused.labels(refusal.reason).inc()
        headers = {"Retry-After": str(refusal.retry_after_s)} if refusal.retry_after_s is not None else None
        return web.Response(status=refusal.status, text=refusal.message + "\n", headers=headers)

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        refusal = self._admit(request)
        if refusal is not None:
            return refusal
        # the websockets library's ServerProtocol owns the connection: it decides the handshake here, and
        # parses, answers and closes from then on (transports.WebSocketOut); aiohttp only writes its 101
        extensions = [ServerPerMessageDeflateFactory()] if self.settings.compression else None
        handshaking = ServerProtocol(max_size=self.settings.max_frame_bytes, extensions=extensions, logger=_QUIET)
        # the request as it came (aiohttp read it off the socket) goes through the protocol's own parser
        handshaking.receive_data(b"".join((b"GET ", request.raw_path.encode("latin-1"), b" HTTP/1.1\r\n",
                                        *(name + b": " + value + b"\r\n" for name, value in request.raw_headers),
                                        b"\r\n")))
        parsed = [event for event in handshaking.events_received() if isinstance(event, WsRequest)]
        if not parsed:
            self.metrics.refused.labels("handshake").inc()
            return web.Response(status=400, text="not a websocket handshake\n")
        handshake = handshaking.accept(parsed[0])
        if handshake.status_code != 101:
            self.metrics.refused.labels("handshake").inc()
            return web.Response(status=handshake.status_code, body=handshake.body,
                                headers={"Content-Type": "text/plain; charset=utf-8"})
        response = web.StreamResponse(status=101, headers=list(handshake.headers.raw_items()))
        response.force_close()
        await response.prepare(request)
        # The open connection's protocol starts at frames with what the handshake negotiated: the handshake's
        # own parser would keep the request and its headers alive for the connection's life (+2.7 KB each).
        protocol = ServerProtocol(state=State.OPEN, max_size=self.settings.max_frame_bytes, logger=_QUIET)
        protocol.extensions = handshaking.extensions
        del handshaking, parsed, handshake
        transport = request.transport
        assert transport is not None
        session = self.hub.open_session("ws")
        out = WebSocketOut(protocol, transport, ping_interval_s=self.settings.ping_interval_s)
        session.io = out
        held: list[bytes] | None = [] if not self.loaded else None

        def on_text(data: bytes) -> None:
            if held is not None:  # a resume needs the history: hold the client's messages until it is read
                held.append(data)
                return
            self.hub.receive(session, data)
            self.scheduler.kick()

        def on_binary() -> None:
            self.hub.reject_binary(session)
            self.scheduler.kick()

        out.on_text, out.on_binary = on_text, on_binary
        request.protocol.set_parser(out)  # type: ignore[arg-type]  # every byte from now on goes to the protocol
        request.protocol.keep_alive(False)
        self._websockets.add(out)
        token = request.query.get("token")
        if token:
            self.hub.authenticate(session, token)
            self.scheduler.kick()
        try:
            if held is not None:
                await self._history_loaded.wait()
                waiting, held = held, None
                for data in waiting:
                    on_text(data)
            await out.input_done.wait()
        finally:
            out.close_now()
            if session.close is not None:
                reason = CLOSE_REASONS.get(session.close[0], "server")
            else:
                reason = out.ended or "client"
            self.metrics.disconnects.labels(reason).inc()
            self.hub.close_session(session)
            self._websockets.discard(out)
            if self._collections is not None:
                self._collections.connection_closed()
        return response

    async def _sse(self, request: web.Request) -> web.StreamResponse:
        refusal = self._admit(request)
        if refusal is not None:
            return refusal
        channel = request.query.get("channel", "")
        try:
            parse_channel(channel)
        except ValueError as exc:
            return web.Response(status=400, text=f"{exc}\n")
        story_channel = channel.startswith("story:")
        since: Any = None
        raw_since = request.headers.get("Last-Event-ID") or request.query.get("since")
        if raw_since:
            try:
                since = parse_last_event_id(raw_since, story_channel)
            except ValueError:
                return web.Response(status=400, text="Last-Event-ID / since is not a cursor this gateway made\n")
        if not self.loaded:  # Last-Event-ID needs the history: answer once it is read
            await self._history_loaded.wait()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                               "X-Accel-Buffering": "no"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        transport = request.transport
        assert transport is not None
        session = self.hub.open_session("sse")
        out = SseOut(transport, channel, dict(since) if isinstance(since, dict) else {})
        session.io = out
        token = request.query.get("token")
        subscribe: dict[str, Any] = {"type": "subscribe", "channel": channel, "since": since}
        if token:
            subscribe["token"] = token
        self.hub.receive(session, orjson.dumps(subscribe))
        self.scheduler.kick()
        try:
            while not transport.is_closing() and session.close is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(out.closed.wait(), 1)
                if out.closed.is_set():
                    break
        finally:
            self.metrics.disconnects.labels("sse").inc()
            self.hub.close_session(session)
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        body = {"history_loaded": self.loaded, "kafka": self.kafka_ok, "stories": len(self.hub.stories)}
        return web.json_response(body, status=200 if self.loaded and self.kafka_ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _stats(self, request: web.Request) -> web.Response:
        stories = {name: {"seq": h.latest, "epoch": h.epoch, "held": len(h.records)}
                   for name, h in self.hub.stories.items()}
        return web.json_response({"viewers": self.hub.viewers(), "connections": len(self.hub.sessions),
                                  "stories": stories})

    async def _index(self, request: web.Request) -> web.Response:
        return self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        return self._static_file(request.match_info["name"])

    def _static_file(self, name: str) -> web.Response:
        types = {"html": "text/html", "js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
        kind = types.get(name.rpartition(".")[2])
        files = resources.files("newswire.gateway") / "static"
        if kind is None or "/" in name or name.startswith("."):
            raise web.HTTPNotFound()
        try:
            data = (files / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise web.HTTPNotFound() from None
        return web.Response(body=data, content_type=kind, charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    # ---- periodic ----------------------------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(1)
            ticks += 1
            for session in self.hub.housekeeping():
                self.scheduler.close_session(session)
            if self._collections is not None:
                self._collections.tick(time.monotonic())
            if ticks % 15 == 0:  # SSE comments keep proxies from closing a quiet stream
                for session in list(self.hub.sessions):
                    out = session.io
                    if isinstance(out, SseOut):
                        out.write(b": keep-alive\n\n")
            self.scheduler.kick()
