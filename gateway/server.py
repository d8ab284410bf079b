"""The gateway's I/O: Kafka in, websocket / SSE / HTTP out, all on one port (aiohttp).

The protocol decisions live in :mod:`newswire.gateway.protocol`; this module only moves bytes.
Entry messages bypass per-client encoding: a channel's batch is framed once as websocket frames
(server frames are unmasked, so the bytes are the same for every client) and written straight to
each subscriber's transport, one write per client per coalescing window. A client whose unsent
bytes pass ``max_buffer_bytes`` is closed with code 4008; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import threading
import time
from importlib import resources
from typing import Any

import orjson
from aiohttp import WSMsgType, web
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from newswire.kafka import ensure_topics, topic_partitions
from newswire.schemas import topics
from newswire.schemas.ws import CLOSE_REASONS, CLOSE_SLOW

from .delivery import DeliveryQueue
from .fanout import NATIVE, FanoutWriter
from .gc_policy import FullCollections
from .metrics import GatewayMetrics
from .protocol import BadRecord, Hub, Session, parse_channel
from .settings import GatewaySettings

__all__ = ["GatewayServer", "recreated_partitions", "probe_timer_was_late", "ws_close_frame", "ws_frames"]

log = logging.getLogger("newswire.gateway")

#: How often the reader asks Kafka for the end offsets: the readiness probe and the check for recreated topics.
#: A ListOffsets request is cheap: probe often, so readiness follows a broker that stops or comes back.
KAFKA_PROBE_INTERVAL_S = 0.25
KAFKA_PROBE_TIMEOUT_S = 0.5
#: How often the reader asks for the topic's partitions (and at once after a recreated topic): a topic
#: deleted and created again, or given more partitions, must be read whole.
PARTITIONS_CHECK_INTERVAL_S = 5.0
#: How long the reader's poll waits for records before it looks at the probe again.
POLL_TIMEOUT_MS = 100



def ws_frames(payloads: list[bytes]) -> bytes:
    """Unmasked websocket text frames for ``payloads``, concatenated (what a server writes)."""
    parts: list[bytes] = []
    for payload in payloads:
        n = len(payload)
        if n < 126:
            parts.append(bytes((0x81, n)))
        elif n < 65536:
            parts.append(struct.pack("!BBH", 0x81, 126, n))
        else:
            parts.append(struct.pack("!BBQ", 0x81, 127, n))
        parts.append(payload)
    return b"".join(parts)


def recreated_partitions(next_offsets: dict[int, int], end_offsets: dict[int, int]) -> list[int]:
    """Partitions whose end offset is below the next offset to read: Kafka reports exact ends, so such a
    partition was deleted and created again (or its cluster lost its data) and starts over at 0."""
    return sorted(p for p, end in end_offsets.items() if end < next_offsets.get(p, 0))


def ws_close_frame(code: int, reason: str) -> bytes:
    """An unmasked websocket close frame; the reason is cut to the 123 bytes a control frame allows, at a
    character boundary (RFC 6455 wants valid UTF-8 there, and a conforming client fails the connection otherwise)."""
    payload = struct.pack("!H", code) + reason.encode()[:123].decode("utf-8", "ignore").encode()
    return bytes((0x88, len(payload))) + payload


class PartitionsChanged(Exception):
    """The topic's partitions are not the ones the reader was assigned: read them all, from where it was."""


class _WsOut:
    """Output side of a websocket client: raw frames to the transport, or aiohttp when compressed."""

    __slots__ = ("ws", "transport", "compressed", "fd", "queue", "queued_bytes", "task", "closing", "input_done")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self.ws = ws
        self.transport = transport
        self.compressed = bool(ws.compress)
        sock = transport.get_extra_info("socket")
        plain = sock is not None and transport.get_extra_info("sslcontext") is None
        #: The socket's descriptor for the fan-out's direct writes (-1: compressed or TLS, written by aiohttp
        #: or the transport, which transform the bytes).
        self.fd = sock.fileno() if plain and not self.compressed else -1
        self.queue: asyncio.Queue[bytes] | None = asyncio.Queue() if self.compressed else None
        self.queued_bytes = 0
        self.task: asyncio.Task[None] | None = (asyncio.get_running_loop().create_task(self._drain())
                                                if self.compressed else None)
        #: Set once the server sent its close frame: input is read and discarded, nothing more is written.
        self.closing = False
        #: Set by the handler when the client's input ended (its close frame, EOF or a dropped socket).
        self.input_done = asyncio.Event()

    def write_chunk(self, chunk: bytes, payloads: list[bytes]) -> None:
        if self.closing:
            return
        if self.queue is not None:
            for p in payloads:
                self.queue.put_nowait(p)
                self.queued_bytes += len(p)
        elif not self.transport.is_closing():
            self.transport.write(chunk)

    def buffered(self) -> int:
        if self.queue is not None:
            return self.queued_bytes + self.transport.get_write_buffer_size()
        return self.transport.get_write_buffer_size()

    def direct_fd(self) -> int:
        """The descriptor to write entries to directly (plain, open, nothing unsent before them), else -1."""
        transport = self.transport
        if self.fd < 0 or self.closing or transport.is_closing() or transport.get_write_buffer_size():
            return -1
        return self.fd

    async def _drain(self) -> None:
        assert self.queue is not None
        while True:
            payload = await self.queue.get()
            self.queued_bytes -= len(payload)
            await self.ws.send_str(payload.decode())

    async def close(self, code: int, reason: str, grace: float) -> None:
        """Close so the client reads the close frame: a socket closed with unread input sends RST instead.

        Send the close frame, shut down writing, and keep reading (the handler discards input) until
        the client answers with its close frame or EOF, or ``grace`` seconds pass.
        """
        self.closing = True
        if self.task is not None:
            self.task.cancel()
        # aiohttp has no public switch for its heartbeat: a ping after the close frame breaks the handshake
        cancel_heartbeat = getattr(self.ws, "_cancel_heartbeat", None)
        if cancel_heartbeat is not None:
            cancel_heartbeat()
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(ws_close_frame(code, reason))
        if transport.can_write_eof():
            transport.write_eof()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.input_done.wait(), grace)
        if not transport.is_closing():
            # input ended: nothing unread is left, so this is a clean FIN; otherwise the grace is over
            if self.input_done.is_set():
                transport.close()
            else:
                transport.abort()


class _SseOut:
    """Output side of an SSE client: ``id:`` is the seq (story channels) or a ``story=seq,…`` cursor."""

    __slots__ = ("transport", "story_channel", "cursor", "closed")

    def direct_fd(self) -> int:
        return -1  # each SSE message carries an id per client: written through write_chunk

    def __init__(self, transport: asyncio.Transport, channel: str, cursor: dict[str, int]) -> None:
        self.transport = transport
        self.story_channel = channel.startswith("story:")
        self.cursor = cursor
        self.closed = asyncio.Event()

    def write_chunk(self, chunk: bytes, payloads: list[bytes]) -> None:
        if self.transport.is_closing():
            self.closed.set()
            return
        out = []
        for payload in payloads:
            msg = orjson.loads(payload)
            if msg.get("type") == "entry":
                if self.story_channel:
                    event_id = str(msg["seq"])
                else:
                    self.cursor[msg["entry"]["story"]] = msg["seq"]
                    event_id = ",".join(f"{k}={v}" for k, v in self.cursor.items())
                out.append(b"id: " + event_id.encode() + b"\n")
            out.append(b"data: " + payload + b"\n\n")
        self.write(b"".join(out))

    def write(self, data: bytes) -> None:
        """Write one HTTP/1.1 chunk (the response uses chunked transfer encoding)."""
        if not self.transport.is_closing():
            self.transport.write(b"%x\r\n%b\r\n" % (len(data), data))

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()


def parse_last_event_id(value: str, story_channel: bool) -> int | dict[str, int]:
    """``Last-Event-ID`` back into a ``since``: an int for story channels, a {story: seq} map otherwise."""
    if story_channel or value.strip() == "0":
        return int(value)
    cursor = {}
    for part in value.split(","):
        story, _, seq = part.partition("=")
        cursor[story] = int(seq)
    return cursor


def probe_timer_was_late(elapsed_s: float, timeout_s: float) -> bool:
    """Whether a probe that timed out did so because the reader's event loop ran its timer late (the main
    thread held the GIL, say ingesting a large batch of history, or the machine was busy), not because
    Kafka stayed silent for the timeout: then the probe proves nothing."""
    return elapsed_s > timeout_s * 1.5


class GatewayServer:
    """One gateway process: ``async with GatewayServer(settings) as gw:`` serves until the block ends."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()
        self.hub = Hub(self.settings)
        self.metrics = GatewayMetrics(self.hub)
        self.loaded = False
        #: set once history is loaded: until then a client's ``since`` cannot be answered, so its messages wait
        self._history_loaded = asyncio.Event()
        self.kafka_ok = False
        self.port = self.settings.port
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: The Kafka reader's thread and its event loop (see _run_reader).
        self._reader: threading.Thread | None = None
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._main_loop: asyncio.AbstractEventLoop | None = None
        #: Whether the reader has read up to the ends it found at start (its own view; ``loaded`` is the hub's).
        self._history_read = False
        self._flush_handle: asyncio.TimerHandle | None = None
        self._writer = FanoutWriter(self.settings.write_threads)
        self._deliveries = DeliveryQueue()
        self._write_handle: asyncio.Handle | None = None
        self._collections = (FullCollections(self.settings.gc_full_interval_s, self.settings.gc_full_after_closed)
                             if self.settings.gc_full_interval_s > 0 else None)
        self._last_flush = 0.0
        self._closers: set[asyncio.Task[None]] = set()
        self._websockets: set[web.WebSocketResponse] = set()
        #: Last offset read per partition: a reconnect to Kafka continues where it stopped.
        self.hub_offsets: dict[int, int] = {}

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
        self._main_loop = loop
        started = threading.Event()
        self._reader = threading.Thread(target=self._run_reader, args=(started,), name="newswire-kafka-reader",
                                        daemon=True)
        self._reader.start()
        started.wait()
        self._tasks = [loop.create_task(self._housekeeping())]
        log.info("gateway listening on http://%s:%d (ws /ws, sse /sse); fan-out writes: %s", self.settings.host,
                 self.port, "the C write loop" if NATIVE else "Python (no C write loop was built)")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._stop_reader()
        closing = [asyncio.ensure_future(ws.close(code=1001, message=b"server shutting down"))
                   for ws in list(self._websockets)]
        if closing:
            _, late = await asyncio.wait(closing, timeout=self.settings.close_grace_s)
            for unfinished in late:
                unfinished.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self._write_handle is not None:
            self._write_handle.cancel()
        self._writer.close()
        if self._collections is not None:
            self._collections.stop()

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once history is loaded and Kafka answers (what /readyz reports)."""
        deadline = time.monotonic() + timeout
        while not (self.loaded and self.kafka_ok):
            if time.monotonic() > deadline:
                raise TimeoutError(f"gateway not ready within {timeout:.0f} s")
            await asyncio.sleep(0.02)

    # ---- Kafka -----------------------------------------------------------------------------------------
    #
    # The reader runs in a thread with its own event loop. In the main loop a fan-out to thousands of
    # sockets keeps the loop busy for tens of milliseconds at a time, and aiokafka needs several loop turns
    # from one fetch to the next (answer, records handed over, next request): there, a busy gateway read
    # Kafka once per fan-out round. In its own thread the reader fetches back to back (the socket writes
    # release the GIL), and hands each batch of records to the main loop, where they join the writes not
    # made yet (see delivery.py).

    def _run_reader(self, started: threading.Event) -> None:
        async def main() -> None:
            self._reader_loop = asyncio.get_running_loop()
            self._reader_task = asyncio.current_task()
            started.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consume()

        try:
            asyncio.run(main())
        finally:
            started.set()

    async def _stop_reader(self) -> None:
        reader, loop, task = self._reader, self._reader_loop, self._reader_task
        if reader is None:
            return
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # its loop already ended
                loop.call_soon_threadsafe(task.cancel)
        await asyncio.to_thread(reader.join, 10)
        if reader.is_alive():
            log.warning("the Kafka reader did not stop within 10 s")
        self._reader = None

    def _to_main(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` in the main loop (in call order), from the reader's thread."""
        assert self._main_loop is not None
        with contextlib.suppress(RuntimeError):  # the main loop closed: the server is stopping
            self._main_loop.call_soon_threadsafe(callback, *args)

    def _ingest(self, records: list[tuple[int, int, bytes | None, int]], history_read: bool) -> None:
        """(In the main loop) records read from ``newswire.entries``, in order, into the hub."""
        for partition, offset, value, timestamp in records:
            try:
                self.hub.ingest_bytes(value, timestamp)
            except BadRecord as exc:
                log.warning("skipping %s[%d]@%d: %s", topics.ENTRIES, partition, offset, exc)
        if records:
            self._kick()
        if history_read and not self.loaded:
            self._mark_loaded()
            if self._collections is not None:
                self._collections.freeze_startup()
            log.info("history loaded: %d stories", len(self.hub.stories))


    async def _consume(self) -> None:
        """Read ``newswire.entries`` from the beginning forever, restarting the client after errors."""
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap, group_id=None, enable_auto_commit=False,
                auto_offset_reset="earliest", fetch_max_wait_ms=self.settings.kafka.fetch_max_wait_ms,
                max_partition_fetch_bytes=8 * 1024 * 1024)
            # asks for the topic's partitions (fresh metadata) for as long as this connection lasts
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap, request_timeout_ms=10_000)
            try:
                await consumer.start()
                await admin.start()
                await self._read(consumer, admin)
            except asyncio.CancelledError:
                raise
            except PartitionsChanged as exc:
                log.warning("%s: %s; reading them all", topics.ENTRIES, exc)
                continue
            except (KafkaError, OSError) as exc:
                self._set_kafka_ok(False)
                log.warning("Kafka at %s: %r; retrying", self.settings.bootstrap, exc)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()
                with contextlib.suppress(Exception):
                    await admin.close()
            await asyncio.sleep(1)

    async def _read(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        parts = await self._partitions(admin)
        tps = [TopicPartition(topics.ENTRIES, p) for p in sorted(parts)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        self._forget_recreated({tp.partition: off for tp, off in end.items()})
        positions = {tp: self.hub_offsets.get(tp.partition, -1) + 1 for tp in tps}
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
        self._set_kafka_ok(True)
        loaded_at: dict[Any, int] = {tp: off for tp, off in end.items()}
        if not self._history_read and all(positions[tp] >= loaded_at[tp] for tp in tps):
            self._history_read = True
            self._to_main(self._ingest, [], True)
        checked = partitions_checked = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=POLL_TIMEOUT_MS, max_records=10_000)
            records: list[Any] = []
            for tp, messages in batch.items():
                partition = tp.partition
                records.extend((partition, m.offset, m.value, m.timestamp) for m in messages)
                if messages:
                    self.hub_offsets[partition] = messages[-1].offset
            newly_read = not self._history_read and all(
                self.hub_offsets.get(tp.partition, -1) + 1 >= loaded_at[tp] for tp in tps)
            if newly_read:
                self._history_read = True
            if records or newly_read:
                self._to_main(self._ingest, records, newly_read)
            if time.monotonic() - checked > KAFKA_PROBE_INTERVAL_S:
                checked = time.monotonic()
                recreated = await self._probe(consumer, tps)
                if recreated or checked - partitions_checked > PARTITIONS_CHECK_INTERVAL_S:
                    partitions_checked = checked
                    await self._check_partitions(admin, {tp.partition for tp in tps})

    def _mark_loaded(self) -> None:
        self.loaded = True
        self._history_loaded.set()

    async def _check_partitions(self, admin: AIOKafkaAdminClient, assigned: set[int]) -> None:
        """Raise :class:`PartitionsChanged` when the topic's partitions (fresh metadata) differ from ``assigned``."""
        try:
            parts = await asyncio.wait_for(topic_partitions(admin, topics.ENTRIES), KAFKA_PROBE_TIMEOUT_S * 4)
        except (KafkaError, OSError):
            return  # the probe reports an outage; the partitions are checked again later
        if parts and parts != assigned:
            raise PartitionsChanged(f"partitions {sorted(parts)} (reading {sorted(assigned)})")

    async def _probe(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> list[int]:
        """Ask Kafka for the end offsets: readiness follows the answer, and a recreated topic is read from 0.
        Returns the partitions found recreated.

        aiokafka reconnects on its own, so the consumer raising is no sign of an outage; this is.
        """
        started = time.monotonic()
        try:
            end = await asyncio.wait_for(consumer.end_offsets(tps), KAFKA_PROBE_TIMEOUT_S)
            recreated = self._forget_recreated({tp.partition: off for tp, off in end.items()})
        except (KafkaError, OSError) as exc:  # TimeoutError is an OSError
            if isinstance(exc, TimeoutError) and probe_timer_was_late(time.monotonic() - started,
                                                                      KAFKA_PROBE_TIMEOUT_S):
                log.debug("Kafka probe inconclusive: the reader ran %.2f s late", time.monotonic() - started)
                return []  # the reader's loop ran late, past the timeout: no sign of Kafka either way
            if self.kafka_ok:
                log.warning("Kafka at %s not answering: %r; retrying", self.settings.bootstrap, exc)
            self._set_kafka_ok(False)
            return []
        for partition in recreated:
            consumer.seek(TopicPartition(topics.ENTRIES, partition), 0)
        self._set_kafka_ok(True)
        return recreated

    def _forget_recreated(self, end_offsets: dict[int, int]) -> list[int]:
        """Read recreated partitions from offset 0 again; the history already held stays.

        The protocol tells clients: the processor starts a new epoch on a recreated topic (resync)."""
        recreated = recreated_partitions({p: offset + 1 for p, offset in self.hub_offsets.items()}, end_offsets)
        for partition in recreated:
            log.warning("%s[%d] ends at offset %d, below the %d records read: the topic was recreated; reading "
                        "it from offset 0", topics.ENTRIES, partition, end_offsets[partition],
                        self.hub_offsets[partition] + 1)
            self.hub_offsets[partition] = -1
        return recreated

    def _set_kafka_ok(self, ok: bool) -> None:
        if ok and not self.kafka_ok:
            log.info("Kafka at %s answers", self.settings.bootstrap)
        self.kafka_ok = ok

    async def _partitions(self, admin: AIOKafkaAdminClient) -> set[int]:
        parts = await topic_partitions(admin, topics.ENTRIES)
        if not parts:
            kafka = self.settings.kafka
            await ensure_topics(self.settings.bootstrap, [topics.ENTRIES], kafka.partitions, kafka.replication,
                                kafka.topic_configs())
            parts = await topic_partitions(admin, topics.ENTRIES)
        if not parts:
            raise KafkaError(f"topic {topics.ENTRIES} has no partitions")
        return parts

    # ---- output ----------------------------------------------------------------------------------------

    def _kick(self) -> None:
        """Flush within the coalescing window (everything due by then goes out in one write per client)."""
        if self._flush_handle is None and self.hub.has_pending:
            loop = asyncio.get_running_loop()
            # at most one flush per window: idle → at once, busy → at the end of the current window
            due = self._last_flush + self.settings.coalesce_ms / 1000 - loop.time()
            self._flush_handle = loop.call_at(loop.time() + max(0.0, due), self._flush)

    def _flush(self) -> None:
        """Queue what the protocol has due (merging into writes not made yet), then start writing."""
        self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        plan = self.hub.flush()
        outboxes_next = {session for session, _ in plan.sessions}
        for channel, subscribers, payloads, records in plan.batches:
            self._deliveries.add_batch(channel, subscribers, payloads, records, members=channel.subscribers,
                                       outboxes_next=outboxes_next)
        for session, outbox in plan.sessions:
            self._deliveries.add_outbox(session, outbox, close_after=session.close is not None)
        if self._write_handle is None and self._deliveries:
            self._write_slice()
        self._kick()

    def _write_slice(self) -> None:
        """Write the next slice of sessions, then let the loop read Kafka and clients before the next one."""
        loop = asyncio.get_running_loop()
        self._write_handle = None
        started = loop.time()
        limit = self.settings.max_buffer_bytes
        slow: list[Session] = []
        deliveries = 0
        for delivery, sessions, done in self._deliveries.take(self.settings.write_slice):
            if delivery.channel is None:
                session = sessions[0]
                if delivery.payloads and session.io is not None:
                    session.io.write_chunk(delivery.chunk(ws_frames), delivery.payloads)
                if delivery.close_after:
                    self._close(session)
                continue
            chunk = delivery.chunk(ws_frames)
            direct: list[_WsOut] = []
            fds: list[int] = []
            add_direct, add_fd = direct.append, fds.append
            for session in sessions:
                out = session.io
                if out is None:
                    continue
                fd = out.direct_fd()
                if fd >= 0:  # nothing unsent: straight to the socket
                    add_direct(out)
                    add_fd(fd)
                # what is still unsent from earlier rounds decides; one round's burst may pass the limit
                elif out.buffered() > limit:
                    slow.append(session)
                else:
                    out.write_chunk(chunk, delivery.payloads)
            for index, written in self._writer.write(chunk, fds):
                # the transport buffers what the socket did not take (or reports the broken socket)
                direct[index].transport.write(chunk[written:])
            deliveries += len(sessions) * len(delivery.payloads)
            if done and delivery.records:
                now_ms = time.time() * 1000
                for rec in delivery.records:
                    self.metrics.latency.observe(max(0.0, (now_ms - rec.kafka_ts) / 1000))
        if deliveries:
            self.metrics.deliveries.inc(deliveries)
            self.metrics.flush_seconds.observe(loop.time() - started)
        for session in slow:
            if session.close is None:
                self.metrics.slow_client_drops.inc()
                self.hub.request_close(session, CLOSE_SLOW,
                                       f"too slow: more than {limit} bytes waiting to be sent")
                self._close(session)
        if self._deliveries:
            self._write_handle = loop.call_soon(self._write_slice)

    def _close(self, session: Session) -> None:
        """Close a session the protocol gave up on, in its own task (the fan-out never waits for it)."""
        if session.close is None or getattr(session, "_closing", False) or session.io is None:
            return
        session._closing = True  # type: ignore[attr-defined]
        code, reason = session.close
        task = asyncio.get_running_loop().create_task(self._close_io(session.io, code, reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close_io(self, out: _WsOut | _SseOut, code: int, reason: str) -> None:
        if isinstance(out, _SseOut):
            out.closed.set()
            return
        try:
            await out.close(code, reason, self.settings.close_grace_s)
        except (ConnectionError, RuntimeError):
            if not out.transport.is_closing():
                out.transport.abort()

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
        heartbeat = self.settings.ping_interval_s or None
        # autoclose off: after the server's own close frame, the client's close ends the read loop
        # without aiohttp writing a second close frame (see _WsOut.close)
        ws = web.WebSocketResponse(max_msg_size=self.settings.max_frame_bytes, heartbeat=heartbeat,
                                   compress=self.settings.compression, autoping=True, autoclose=False)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        session = self.hub.open_session("ws")
        out = _WsOut(ws, transport)
        session.io = out
        self._websockets.add(ws)
        token = request.query.get("token")
        if token:
            self.hub.authenticate(session, token)
            self._kick()
        reason = "client"
        try:
            if not self.loaded:  # a resume needs the history: hold the client's messages until it is read
                await self._history_loaded.wait()
            async for msg in ws:
                if out.closing:
                    continue  # draining until the client's close frame: its input no longer counts
                if msg.type == WSMsgType.TEXT:
                    self.hub.receive(session, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.hub.reject_binary(session)
                elif msg.type == WSMsgType.ERROR:
                    reason = "protocol_error"
                    break
                self._kick()
        except (ConnectionError, RuntimeError) as exc:  # a pong written after the close frame
            log.debug("websocket input ended: %r", exc)
        finally:
            out.input_done.set()
            if out.closing and not transport.is_closing():
                transport.close()
            if session.close is not None:
                reason = CLOSE_REASONS.get(session.close[0], "server")
            elif ws.close_code == 1009:
                reason = "too_big"
            elif ws.close_code == 1006 and heartbeat:
                reason = "ping_timeout" if not transport.is_closing() else reason
            self.metrics.disconnects.labels(reason).inc()
            self.hub.close_session(session)
            self._websockets.discard(ws)
            if self._collections is not None:
                self._collections.connection_closed()
            if out.task is not None:
                out.task.cancel()
        return ws

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
        out = _SseOut(transport, channel, dict(since) if isinstance(since, dict) else {})
        session.io = out
        token = request.query.get("token")
        subscribe: dict[str, Any] = {"type": "subscribe", "channel": channel, "since": since}
        if token:
            subscribe["token"] = token
        self.hub.receive(session, orjson.dumps(subscribe))
        self._kick()
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
                self._close(session)
            if self._collections is not None:
                self._collections.tick(time.monotonic())
            if ticks % 15 == 0:  # SSE comments keep proxies from closing a quiet stream
                for session in list(self.hub.sessions):
                    out = session.io
                    if isinstance(out, _SseOut):
                        out.write(b": keep-alive\n\n")
            self._kick()
