"""Sample entries for the schema tests (a module of its own so tests can import it by a unique name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from newswire.schemas.codec import encode
from newswire.schemas.model import (
    Embed,
    Entry,
    Organisation,
    Person,
    Place,
    Quote,
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


def to_json(model: Any) -> Any:
    """The JSON value the codec writes for ``model``."""
    return orjson.loads(encode(model))
