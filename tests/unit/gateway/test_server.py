"""Pure helpers of the gateway's I/O rooms: websocket framing, SSE cursors (transports), the reader's checks."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from newswire.gateway.reader import recreated_partitions
from newswire.gateway.transports import parse_last_event_id, ws_close_frame, ws_frames


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
def test_ws_close_frame_carries_code_and_reason_within_the_control_frame_limit(reason: str, sent: str) -> None:
    """A close frame holds the code and the reason; a reason longer than 123 bytes is cut to fit at a character
    boundary, so it stays valid UTF-8 (61 two-byte "é" fit, with or without a one-byte character first;
    41 three-byte "€")."""
    (frame,) = read_frames(ws_close_frame(4029, reason))
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
