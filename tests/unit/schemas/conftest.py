"""Sample messages of every kind, built from the models as the services build them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from newswire.schemas import ws
from newswire.schemas.codec import encode
from newswire.schemas.model import (
    DeadLetter,
    DeadLetterSource,
    Embed,
    Entry,
    Organisation,
    Person,
    Place,
    Quote,
    RawEntry,
    RawEvent,
)

PUBLISHED = datetime(2016, 3, 14, 19, 16, tzinfo=UTC)
TS = 1457982960000


def make_entry(**changes: Any) -> Entry:
    """An entry of the seed live blog as the processor emits it, fully enriched."""
    fields: dict[str, Any] = dict(
        id="e-1916",
        story="russia-syria-withdrawal",
        version=1,
        op="create",
        seq=7,
        epoch="ep-1",
        ts=TS,
        published_at=PUBLISHED,
        headline="Putin orders withdrawal from Syria",
        author="Al Jazeera",
        url="https://example.org/live#1916",
        key_event=True,
        body_text='Putin said: "The task is fulfilled." #Syria',
        body_html='<p>Putin said: "The task is fulfilled." #Syria</p>',
        quotes=[Quote(text="The task is fulfilled.", speaker="Vladimir Putin")],
        embeds=[Embed(kind="tweet", author="@RT_com", text="Breaking #Syria", hashtags=["Syria"],
                      url="https://twitter.com/RT_com/status/1")],
        hashtags=["Syria"],
        mentions=["RT_com"],
        links=["https://example.org/a"],
        people=[Person(name="Vladimir Putin")],
        places=[Place(name="Damascus", country_code="SY", lat=33.51, lon=36.29), Place(name="Hmeimim")],
        organisations=[Organisation(name="Kremlin")],
        language="en",
        keywords=["withdrawal"],
        fingerprint="abc123",
        source="publish:blog.md",
    )
    fields.update(changes)
    return Entry(**fields)


def _json(model: Any) -> Any:
    """The JSON value the codec writes for ``model``."""
    return orjson.loads(encode(model))


@pytest.fixture
def entry_factory() -> Callable[..., Entry]:
    """``make_entry(**changes)``: the sample entry with some fields changed."""
    return make_entry


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
                         {"type": "subscribe", "channel": "story:s", "since": 4, "epoch": "e1", "token": "t"},
                         {"type": "subscribe", "channel": "tag:Syria", "since": {"a": 3, "b": 0}},
                         {"type": "subscribe", "channel": "x"}],
        "ws-unsubscribe": [{"type": "unsubscribe", "channel": "story:s"}],
        "ws-subscribed": [_json(ws.Subscribed(channel="story:s", epoch=None, seq=0)),
                          _json(ws.Subscribed(channel="story:s", epoch="e1", seq=9, recovered=True))],
        "ws-entry": [orjson.loads(ws.entry_frame("story:s", _json(full_entry)))],
        "ws-resync": [_json(ws.Resync(channel="story:s", reason="epoch changed", epoch="e2", seq=3))],
        "ws-error": [_json(ws.Error(code="bad_json", message="malformed JSON")),
                     _json(ws.Error(code="forbidden", message="needs a token", channel="all"))],
        "ws-auth": [{"type": "auth", "token": "eyJ.x.y"}],
        "ws-ping": [{"type": "ping", "id": 7}, {"type": "ping"}],
        "ws-unsubscribed": [_json(ws.Unsubscribed(channel="story:s"))],
        "ws-authenticated": [_json(ws.Authenticated(exp=1_900_000_000))],
        "ws-pong": [_json(ws.Pong(id=7, ts=TS))],
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
                         {"type": "subscribe", "channel": "s", "since": {"a": -1}},
                         {"type": "subscribe", "channel": "s", "extra": True}],
        "ws-unsubscribe": [{"type": "subscribe", "channel": "s"}],
        "ws-subscribed": [{"type": "subscribed", "channel": "s", "epoch": None}],
        "ws-entry": [{"type": "entry", "seq": 1, "ts": 1, "channel": "s", "epoch": "e", "op": "create",
                      "entry": {}}],
        "ws-resync": [{"type": "resync", "channel": "s"}],
        "ws-error": [{"type": "error", "code": "x"}],
        "ws-auth": [{"type": "auth"}],
        "ws-ping": [{"type": "ping", "id": [1]}],
        "ws-unsubscribed": [{"type": "unsubscribed"}],
        "ws-authenticated": [{"type": "authenticated"}],
        "ws-pong": [{"type": "pong", "id": 1}],
    }
