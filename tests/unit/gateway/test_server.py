"""Pure helpers of the gateway's I/O rooms: websocket framing, SSE cursors (transports), the reader's checks."""

from __future__ import annotations

import asyncio

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from newswire.gateway.reader import recreated_partitions
from newswire.gateway.transports import parse_last_event_id, ws_frames


def read_frames(data: bytes) -> list[Frame]:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while reader.buffer:
        gen = Frame.parse(reader.read_exact, mask=False)
        try:
            while True:
                next(gen)
        except StopIteration as done:
            frames.append(done.value)
    return frames


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_ws_frames_are_valid_unmasked_text_frames(size: int) -> None:
    """Every length class (7-bit, 16-bit, 64-bit) frames as a websocket parser reads it back."""
    payloads = [b"a" * size, b'{"type":"entry"}']
    frames = read_frames(ws_frames(payloads))
    assert [(f.opcode, f.fin, f.data) for f in frames] == [(Opcode.TEXT, True, p) for p in payloads]


@pytest.mark.parametrize(("reason", "sent"), [
    ("flood", "flood"), ("é" * 100, "é" * 61), ("x" + "é" * 100, "x" + "é" * 61), ("€" * 50, "€" * 41)])
async def test_the_close_frame_carries_code_and_reason_within_the_control_frame_limit(reason: str, sent: str) -> None:
    """The close frame a connection sends holds the code and the reason; a reason longer than 123 bytes is cut to
    fit at a character boundary, so it stays valid UTF-8 (61 two-byte "é" fit, with or without a one-byte
    character first; 41 three-byte "€")."""
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    from newswire.gateway.transports import WebSocketOut

    transport = _Transport()
    out = WebSocketOut(ServerProtocol(state=State.OPEN), transport)  # type: ignore[arg-type]
    await out.close(4029, reason, grace=0.01)
    (frame,) = read_frames(bytes(transport.written))
    assert (frame.opcode, frame.fin) == (Opcode.CLOSE, True)
    assert frame.data == (4029).to_bytes(2, "big") + sent.encode() and len(frame.data) <= 125
    assert frame.data[2:].decode("utf-8") == sent


def test_last_event_id_round_trips_both_cursor_kinds() -> None:
    """Story channels resume from a seq; other channels from a story=seq cursor."""
    assert parse_last_event_id("42", story_channel=True) == 42
    assert parse_last_event_id("a=3,uk-b=7", story_channel=False) == {"a": 3, "uk-b": 7}
    assert parse_last_event_id("0", story_channel=False) == 0
    with pytest.raises(ValueError):
        parse_last_event_id("a=x", story_channel=False)
    with pytest.raises(ValueError):
        parse_last_event_id("seven", story_channel=True)


def test_a_partition_ending_below_the_next_offset_to_read_was_recreated() -> None:
    """Kafka's end offsets are exact: an end below what was read means the partition starts over."""
    read = {0: 42, 1: 10, 2: 6}
    assert recreated_partitions(read, {0: 0, 1: 10, 2: 3, 3: 0}) == [0, 2]
    assert recreated_partitions(read, {0: 42, 1: 12, 2: 6}) == []
    assert recreated_partitions({}, {0: 0, 1: 0}) == []


def test_a_probe_timed_out_by_a_busy_loop_proves_nothing() -> None:
    """A timer that fired well after the timeout means the loop was held (a long flush), not Kafka silent."""
    from newswire.gateway.reader import probe_timer_was_late

    assert not probe_timer_was_late(0.51, 0.5)  # Kafka said nothing for the whole timeout: an outage
    assert probe_timer_was_late(1.2, 0.5)  # the loop could not even run the timer on time


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_fast_path_frames_are_the_bytes_websockets_writes(size: int) -> None:
    """One owner per websocket: the fan-out's frames are what ServerProtocol would write for each text message."""
    from websockets.frames import Frame, Opcode

    payloads = [b"x" * size, b'{"type":"entry"}']
    assert ws_frames(payloads) == b"".join(Frame(Opcode.TEXT, p).serialize(mask=False, extensions=[])
                                           for p in payloads)


class _Transport:
    """What WebSocketOut needs of an asyncio transport, keeping what is written."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.eof = self.closed = self.aborted = False

    def get_extra_info(self, name: str) -> None:
        return None

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0


async def test_a_close_reads_cleanly_in_a_conforming_client_whatever_the_reason() -> None:
    """A reason of 200 bytes of "é" is cut to fit at a character boundary: websockets' client protocol, which
    fails a connection on invalid UTF-8, reads the close frame; the server then waits for the client's close."""
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    from websockets.uri import parse_uri

    from newswire.gateway.transports import WebSocketOut

    transport = _Transport()
    out = WebSocketOut(ServerProtocol(state=State.OPEN), transport)  # type: ignore[arg-type]
    client = ClientProtocol(parse_uri("ws://newswire.test/ws"), state=State.OPEN)
    closing = asyncio.ensure_future(out.close(4008, "é" * 100, grace=5))
    await asyncio.sleep(0)
    client.receive_data(bytes(transport.written))
    assert client.close_rcvd is not None and client.close_rcvd.code == 4008
    assert client.close_rcvd.reason == "é" * 61 and len(client.close_rcvd.reason.encode()) <= 123
    assert transport.eof and not closing.done()  # writing shut down; still reading for the client's close
    answer = b"".join(client.data_to_send())  # the client answers with its own close frame
    out.feed_data(answer)
    await asyncio.wait_for(closing, 5)
    assert transport.closed and not transport.aborted


async def test_the_heartbeat_ends_a_connection_that_never_answers_a_ping() -> None:
    """Protocol pings every ping_interval_s; no pong within half of it aborts the connection (ping_timeout)."""
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    from newswire.gateway.transports import WebSocketOut

    transport = _Transport()
    out = WebSocketOut(ServerProtocol(state=State.OPEN), transport, ping_interval_s=0.2)  # type: ignore[arg-type]
    await asyncio.wait_for(out.input_done.wait(), 5)
    assert out.ended == "ping_timeout" and transport.aborted
    assert bytes(transport.written[:2]) == b"\x89\x00"  # the ping it sent


async def test_a_client_answering_pings_is_kept() -> None:
    """Each pong is awaited and answered pings go on: the second ping comes only after the first pong."""
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    from websockets.uri import parse_uri

    from newswire.gateway.transports import WebSocketOut

    transport = _Transport()
    out = WebSocketOut(ServerProtocol(state=State.OPEN), transport, ping_interval_s=0.2)  # type: ignore[arg-type]
    client = ClientProtocol(parse_uri("ws://newswire.test/ws"), state=State.OPEN)
    seen = 0
    deadline = asyncio.get_running_loop().time() + 5
    pings = 0
    while pings < 2 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
        client.receive_data(bytes(transport.written[seen:]))
        seen = len(transport.written)
        for frame in client.events_received():
            pings += 1
            out.feed_data(b"".join(client.data_to_send()))  # the client protocol's pong
            assert frame.opcode.name == "PING"
    assert pings == 2 and not transport.aborted and out.ended is None
    out.close_now()
