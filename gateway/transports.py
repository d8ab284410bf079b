"""The gateway's transports: how bytes reach a websocket or an SSE client.

The fan-out (:mod:`.scheduler`) writes entry frames straight to a client's socket where it can;
these objects are the rest of a client's output side: frames through the transport when earlier
bytes are still unsent, the compressed path through aiohttp, SSE's per-client ``id:`` lines and
chunked encoding, and a websocket close that the client gets to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

import orjson
from aiohttp import web

__all__ = ["SseOut", "WebSocketOut", "parse_last_event_id", "ws_close_frame", "ws_frames"]


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


def ws_close_frame(code: int, reason: str) -> bytes:
    """An unmasked websocket close frame; the reason is cut to the 123 bytes a control frame allows, at a
    character boundary (RFC 6455 wants valid UTF-8 there, and a conforming client fails the connection otherwise)."""
    payload = struct.pack("!H", code) + reason.encode()[:123].decode("utf-8", "ignore").encode()
    return bytes((0x88, len(payload))) + payload


class WebSocketOut:
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


class SseOut:
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
