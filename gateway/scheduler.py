"""The fan-out: what the protocol has due goes out in slices, one write per client per coalescing window.

:meth:`FanoutScheduler.kick` asks for a flush within the coalescing window; a flush takes the
protocol's due batches (:meth:`~.protocol.Hub.flush`) into the delivery queue (delivery.py), and
slices of it are written one after another, letting the loop read Kafka and clients between them.
A channel's batch is framed once as websocket frames (server frames are unmasked, so the bytes are
the same for every client) and written straight to each subscriber's socket that holds nothing
unsent (fanout.py); a client whose unsent bytes pass ``max_buffer_bytes`` is closed with code 4008
in its own task, and nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import time

from newswire.schemas.ws import CLOSE_SLOW

from .delivery import DeliveryQueue
from .fanout import FanoutWriter
from .metrics import GatewayMetrics
from .protocol import Hub, Session
from .settings import GatewaySettings
from .transports import SseOut, WebSocketOut, ws_frames

__all__ = ["FanoutScheduler"]


class FanoutScheduler:
    """Flushes the hub within the coalescing window and writes its deliveries in slices."""

    def __init__(self, hub: Hub, settings: GatewaySettings, metrics: GatewayMetrics) -> None:
        self.hub = hub
        self.settings = settings
        self.metrics = metrics
        self._writer = FanoutWriter(settings.write_threads)
        self._deliveries = DeliveryQueue()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._write_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._closers: set[asyncio.Task[None]] = set()

    def close(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        if self._write_handle is not None:
            self._write_handle.cancel()
        self._writer.close()

    def kick(self) -> None:
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
        self.kick()

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
                    self.close_session(session)
                continue
            chunk = delivery.chunk(ws_frames)
            direct: list[WebSocketOut] = []
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
                self.close_session(session)
        if self._deliveries:
            self._write_handle = loop.call_soon(self._write_slice)

    def close_session(self, session: Session) -> None:
        """Close a session the protocol gave up on, in its own task (the fan-out never waits for it)."""
        if session.close is None or getattr(session, "_closing", False) or session.io is None:
            return
        session._closing = True  # type: ignore[attr-defined]
        code, reason = session.close
        task = asyncio.get_running_loop().create_task(self._close_io(session.io, code, reason))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close_io(self, out: WebSocketOut | SseOut, code: int, reason: str) -> None:
        if isinstance(out, SseOut):
            out.closed.set()
            return
        try:
            await out.close(code, reason, self.settings.close_grace_s)
        except (ConnectionError, RuntimeError):
            if not out.transport.is_closing():
                out.transport.abort()
