"""Pure helpers of the gateway's I/O layer: websocket framing and SSE cursors."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from newswire.gateway.server import parse_last_event_id, ws_frames


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


def test_last_event_id_round_trips_both_cursor_kinds() -> None:
    """Story channels resume from a seq; other channels from a story=seq cursor."""
    assert parse_last_event_id("42", story_channel=True) == 42
    assert parse_last_event_id("a=3,uk-b=7", story_channel=False) == {"a": 3, "uk-b": 7}
    assert parse_last_event_id("0", story_channel=False) == 0
    with pytest.raises(ValueError):
        parse_last_event_id("a=x", story_channel=False)
    with pytest.raises(ValueError):
        parse_last_event_id("seven", story_channel=True)
