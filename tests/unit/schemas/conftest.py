"""Sample messages of every kind, built from the models as the services build them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from newswire.schemas import ws
from newswire.schemas.model import DeadLetter, DeadLetterSource, Entry, RawEntry, RawEvent
from schema_samples import PUBLISHED, TS, make_entry
from schema_samples import to_json as _json


@pytest.fixture
def entry() -> Entry:
    return make_entry()


@pytest.fixture
def samples() -> dict[str, list[Any]]:
    """Schema file name (without .json) → JSON values that the models accept and the services send."""
    raw_entry = RawEntry(id="e-1916", body_text="Putin orders withdrawal", published_at=PUBLISHED)
    minimal_entry = Entry(id="x", story="s", version=1, op="delete", seq=1, epoch="e", ts=1,
                          published_at=PUBLISHED)
    full_entry = make_entry()
    dead = DeadLetter(reason="malformed JSON", key="s", value="e30=", value_encoding="base64",
                      source=DeadLetterSource(topic="newswire.entries.raw", partition=0, offset=42),
                      received_at=PUBLISHED)
    return {
        "raw-entry": [_json(raw_entry), {"body_html": "<p>hi</p>"}, {"body_text": "only text"}],
        "raw-event": [_json(RawEvent(event_id="ev1", story="s", entry=raw_entry, ts=TS))],
        "entry": [_json(full_entry), _json(minimal_entry)],
        "dead-letter": [_json(dead)],
        "ws-subscribe": [{"type": "subscribe", "channel": "story:s", "since": 0},
                         {"type": "subscribe", "channel": "x"}],
        "ws-unsubscribe": [{"type": "unsubscribe", "channel": "story:s"}],
        "ws-subscribed": [_json(ws.Subscribed(channel="story:s", epoch=None, seq=0))],
        "ws-entry": [orjson.loads(ws.entry_frame("story:s", _json(full_entry)))],
        "ws-resync": [_json(ws.Resync(channel="story:s", reason="epoch changed", epoch="e2", seq=3))],
        "ws-error": [_json(ws.Error(code="bad_json", message="malformed JSON"))],
    }


@pytest.fixture
def rejects() -> dict[str, list[Any]]:
    """Schema file name → JSON values that the models refuse: the schema must refuse them too."""
    good_entry = _json(make_entry())
    return {
        "raw-entry": [{}, {"body_text": "   "}, {"body_text": "x", "colour": "red"},
                      {"body_text": "x", "key_event": 5}],
        "raw-event": [{"event_id": "e", "story": "s", "ts": 1, "entry": {"body_text": "no id"}},
                      {"event_id": "e", "story": "bad story!", "ts": 1,
                       "entry": {"id": "a", "body_text": "x"}}],
        "entry": [{**good_entry, "version": 0}, {**good_entry, "op": "upsert"}, {**good_entry, "unknown": 1},
                  {k: v for k, v in good_entry.items() if k != "seq"}],
        "dead-letter": [{"reason": "x", "value": "v", "received_at": "2016-03-14T19:16:00Z"}],
        "ws-subscribe": [{"type": "subscribe", "channel": ""},
                         {"type": "subscribe", "channel": "s", "since": -1},
                         {"type": "subscribe", "channel": "s", "extra": True}],
        "ws-unsubscribe": [{"type": "subscribe", "channel": "s"}],
        "ws-subscribed": [{"type": "subscribed", "channel": "s", "epoch": None}],
        "ws-entry": [{"type": "entry", "seq": 1, "ts": 1, "channel": "s", "epoch": "e", "op": "create",
                      "entry": {}}],
        "ws-resync": [{"type": "resync", "channel": "s"}],
        "ws-error": [{"type": "error", "code": "x"}],
    }
