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
from collections.abc import Callable

import orjson
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

__all__ = ["SseOut", "WebSocketOut", "fit_close_reason", "parse_last_event_id", "ws_frames"]


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


class WebSocketOut:
    """One websocket client, its protocol owned by the ``websockets`` library's sans-I/O ``ServerProtocol``.

    aiohttp serves the HTTP request and writes the 101 answer that ``ServerProtocol.accept`` decided;
    from then on every byte the client sends goes to the protocol (this object is the request's payload
    parser), which parses and validates frames, answers pings and closes, and fails the connection on a
    protocol error (1002, 1007) or a frame too big (1009). The protocol's own output (pongs, close
    frames) goes to the transport as it asks. Entry frames take the fan-out's fast path where they can:
    the same bytes the protocol would write for an unmasked, uncompressed text frame (a test holds
    :func:`ws_frames` to ``websockets``' frame serialisation), written once for all subscribers; with
    permessage-deflate, through ``send_text`` per client.
    """

    __slots__ = ("protocol", "transport", "compressed", "fd", "closing", "input_done", "on_text", "on_binary",
                 "ended", "_fragments", "_fragment_text", "_ping", "_awaiting_pong", "_ping_interval", "_eof_written")

    def __init__(self, protocol: ServerProtocol, transport: asyncio.Transport, *, ping_interval_s: float = 0) -> None:
        self.protocol = protocol
        self.transport = transport
        self.compressed = bool(protocol.extensions)
        sock = transport.get_extra_info("socket")
        plain = sock is not None and transport.get_extra_info("sslcontext") is None
        #: The socket's descriptor for the fan-out's direct writes (-1: compressed or TLS: through the
        #: protocol or the transport, which transform the bytes).
        self.fd = sock.fileno() if plain and not self.compressed else -1
        #: Set once a close frame went out: input is still read (for the client's close), nothing else is written.
        self.closing = False
        #: Set when the client's input ended: its close frame, EOF, or a connection the protocol failed.
        self.input_done = asyncio.Event()
        #: What a complete text or binary message does (set by the server).
        self.on_text: Callable[[bytes], None] = lambda data: None
        self.on_binary: Callable[[], None] = lambda: None
        #: Why the connection ended when the protocol or the heartbeat ended it: too_big, protocol_error,
        #: ping_timeout (None: the client or the server closed).
        self.ended: str | None = None
        #: the parts of a fragmented message so far, and whether it is text
        self._fragments: list[bytes] | None = None
        self._fragment_text = False
        self._awaiting_pong = False
        self._eof_written = False
        self._ping_interval = ping_interval_s
        loop = asyncio.get_running_loop()
        self._ping: asyncio.TimerHandle | None = (
            loop.call_later(ping_interval_s, self._send_ping) if ping_interval_s > 0 else None)

    # ---- input: aiohttp's payload-parser interface --------------------------------------------------------

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.protocol.receive_data(data)
        self._receive()
        return False, b""

    def feed_eof(self) -> None:
        self.protocol.receive_eof()
        self._receive()
        self.input_done.set()
        self._stop_pings()

    def _receive(self) -> None:
        for event in self.protocol.events_received():
            if not isinstance(event, Frame):
                continue  # after the handshake the protocol only yields frames
            frame, opcode = event, event.opcode
            if opcode is Opcode.PONG:
                self._awaiting_pong = False
            elif opcode is Opcode.CLOSE:
                self.input_done.set()
            elif opcode is Opcode.PING:
                pass  # the protocol answers it
            elif opcode is Opcode.CONT:
                if self._fragments is not None:
                    self._fragments.append(bytes(frame.data))
                    if frame.fin:
                        self._message(Opcode.TEXT if self._fragment_text else Opcode.BINARY, b"".join(self._fragments))
                        self._fragments = None
            elif frame.fin:
                self._message(opcode, bytes(frame.data))
            else:  # the first fragment of a message
                self._fragments, self._fragment_text = [bytes(frame.data)], opcode is Opcode.TEXT
        if self.protocol.close_sent is not None and not self.closing:
            # the protocol failed the connection (a bad frame, one too big) and sent its close frame
            self.closing = True
            code = self.protocol.close_sent.code
            self.ended = "too_big" if code == CloseCode.MESSAGE_TOO_BIG else "protocol_error"
        if self.protocol.state is State.CLOSED:
            self.input_done.set()
        self._write_protocol_output()

    def _message(self, opcode: Opcode, data: bytes) -> None:
        if self.closing:
            return  # draining until the client's close frame: its input no longer counts
        if opcode is Opcode.TEXT:
            self.on_text(data)
        else:
            self.on_binary()

    def _write_protocol_output(self) -> None:
        transport = self.transport
        for data in self.protocol.data_to_send():
            if transport.is_closing():
                return
            if data:
                transport.write(data)
            elif not self._eof_written and transport.can_write_eof():  # b"": the protocol is done writing
                self._eof_written = True
                transport.write_eof()

    # ---- heartbeat ---------------------------------------------------------------------------------------

    def _send_ping(self) -> None:
        """A protocol ping every ``ping_interval_s``; no pong within half of it ends the connection."""
        if self.closing or self.transport.is_closing() or self.protocol.state is not State.OPEN:
            return
        self._awaiting_pong = True
        self.protocol.send_ping(b"")
        self._write_protocol_output()
        loop = asyncio.get_running_loop()
        self._ping = loop.call_later(self._ping_interval / 2, self._check_pong)

    def _check_pong(self) -> None:
        if self._awaiting_pong and not self.closing:
            self.ended = "ping_timeout"
            self.transport.abort()
            self.input_done.set()
            return
        self._ping = asyncio.get_running_loop().call_later(self._ping_interval / 2, self._send_ping)

    def _stop_pings(self) -> None:
        if self._ping is not None:
            self._ping.cancel()
            self._ping = None

    # ---- output --------------------------------------------------------------------------------------------

    def write_chunk(self, chunk: bytes, payloads: list[bytes]) -> None:
        if self.closing or self.transport.is_closing():
            return
        if self.compressed:
            for payload in payloads:
                self.protocol.send_text(payload)
            self._write_protocol_output()
        else:
            self.transport.write(chunk)

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()

    def direct_fd(self) -> int:
        """The descriptor to write entries to directly (plain, open, nothing unsent before them), else -1."""
        transport = self.transport
        if self.fd < 0 or self.closing or transport.is_closing() or transport.get_write_buffer_size():
            return -1
        return self.fd

    def close_now(self) -> None:
        """The handler is done with the connection: stop pinging, and let the transport go once input ended."""
        self._stop_pings()
        if self.closing and self.input_done.is_set() and not self.transport.is_closing():
            self.transport.close()

    async def close(self, code: int, reason: str, grace: float) -> None:
        """Close so the client reads the close frame: a socket closed with unread input sends RST instead.

        The protocol sends the close frame (its reason cut to fit, at a character boundary); writing is
        shut down, and input is still read (and discarded) until the client answers with its close frame
        or EOF, or ``grace`` seconds pass.
        """
        self._stop_pings()
        transport = self.transport
        if not self.closing and self.protocol.state is State.OPEN and not transport.is_closing():
            self.closing = True
            self.protocol.send_close(code, fit_close_reason(reason))
            self._write_protocol_output()
            if not self._eof_written and transport.can_write_eof():
                self._eof_written = True
                transport.write_eof()
        self.closing = True
        if transport.is_closing():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.input_done.wait(), grace)
        if not transport.is_closing():
            # input ended: nothing unread is left, so this is a clean FIN; otherwise the grace is over
            if self.input_done.is_set():
                transport.close()
            else:
                transport.abort()


def fit_close_reason(reason: str) -> str:
    """The reason cut to the 123 bytes a close frame allows, at a character boundary (RFC 6455: valid UTF-8)."""
    return reason.encode()[:123].decode("utf-8", "ignore")


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
