"""Pure helpers of the gateway's I/O layer: websocket framing and SSE cursors."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from newswire.gateway.server import (
    parse_last_event_id,
    partitions_to_verify,
    ws_close_frame,
    ws_frames,
)
from newswire.landmarks import Landmark, is_recreated, landmark_of


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


@pytest.mark.parametrize(("reason", "sent"), [("flood", b"flood"), ("é" * 100, ("é" * 100).encode()[:123])])
def test_ws_close_frame_carries_code_and_reason_within_the_control_frame_limit(reason: str, sent: bytes) -> None:
    """A close frame holds the code and the reason; a reason longer than 123 bytes is cut to fit."""
    (frame,) = read_frames(ws_close_frame(4029, reason))
    assert (frame.opcode, frame.fin) == (Opcode.CLOSE, True)
    assert frame.data == (4029).to_bytes(2, "big") + sent and len(frame.data) <= 125


def test_last_event_id_round_trips_both_cursor_kinds() -> None:
    """Story channels resume from a seq; other channels from a story=seq cursor."""
    assert parse_last_event_id("42", story_channel=True) == 42
    assert parse_last_event_id("a=3,uk-b=7", story_channel=False) == {"a": 3, "uk-b": 7}
    assert parse_last_event_id("0", story_channel=False) == 0
    with pytest.raises(ValueError):
        parse_last_event_id("a=x", story_channel=False)
    with pytest.raises(ValueError):
        parse_last_event_id("seven", story_channel=True)


def test_landmark_of_a_record_names_the_entry_it_holds() -> None:
    """A record's landmark is its offset with the entry's story, id and version; junk keeps only the offset."""
    value = b'{"story":"s","id":"s-e1","version":2,"seq":7}'
    assert landmark_of(5, value) == Landmark(5, "s", "s-e1", 2)
    offset_only = Landmark(5, None, None, None)
    assert landmark_of(5, b"not json") == landmark_of(5, None) == landmark_of(5, b"[1]") == offset_only


LANDMARKS = {0: Landmark(41, "a", "a-e1", 1), 1: Landmark(9, "b", "b-e1", 1), 2: Landmark(5, "c", "c-e1", 1)}


def test_an_end_below_the_position_is_verified_on_the_first_answer() -> None:
    """On a new connection every partition whose end is below the next offset to read is checked."""
    assert partitions_to_verify(LANDMARKS, {0: 0, 1: 10, 2: 3, 3: 0}, ends_seen={}) == [0, 2]
    assert partitions_to_verify(LANDMARKS, {0: 42, 1: 12, 2: 6}, ends_seen={}) == []
    assert partitions_to_verify({}, {0: 0, 1: 0}, ends_seen={}) == []


def test_an_end_already_checked_is_not_verified_again_until_it_falls() -> None:
    """The embedded broker's end (its last batch's base offset) below the position is checked once, not every probe."""
    ends_seen = {0: 40, 2: 3}
    assert partitions_to_verify(LANDMARKS, {0: 40, 2: 4}, ends_seen) == []
    assert partitions_to_verify(LANDMARKS, {0: 39, 2: 0}, ends_seen) == [0, 2]


def test_a_partition_is_recreated_only_when_its_landmark_record_is_gone_or_another() -> None:
    """The same record still at the offset: a healthy topic; absent or a different entry: recreated."""
    landmark = Landmark(2, "s", "s-e3", 1)
    assert not is_recreated(landmark, Landmark(2, "s", "s-e3", 1))
    assert is_recreated(landmark, None)
    assert is_recreated(landmark, Landmark(2, "s", "s-new-3", 1))
    assert is_recreated(landmark, Landmark(2, "s", "s-e3", 2))


def test_a_probe_timed_out_by_a_busy_loop_proves_nothing() -> None:
    """A timer that fired well after the timeout means the loop was held (a long flush), not Kafka silent."""
    from newswire.gateway.server import probe_timer_was_late

    assert not probe_timer_was_late(0.51, 0.5)  # Kafka said nothing for the whole timeout: an outage
    assert probe_timer_was_late(1.2, 0.5)  # the loop could not even run the timer on time
