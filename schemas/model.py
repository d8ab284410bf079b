"""The event model: the one definition of every message newswire puts on the wire.

Three Kafka topics carry these models as JSON (orjson), keyed by the story id:

- ``newswire.entries.raw``  → :class:`RawEvent` (what producers publish)
- ``newswire.entries``      → :class:`Entry` (what processors emit; what downstream services read)
- ``newswire.entries.dlq``  → :class:`DeadLetter` (rejected raw records with the reason)

The websocket messages of the gateway are defined in :mod:`newswire.schemas.ws`.

Models forbid unknown fields, so a typo in a producer is an error, never a silent loss.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "SCHEMA_VERSION",
    "STORY_ID_PATTERN",
    "STORY_ID_MAX",
    "StoryId",
    "Op",
    "Embed",
    "Quote",
    "Person",
    "Place",
    "Organisation",
    "RawEntry",
    "RawEvent",
    "Entry",
    "DeadLetterSource",
    "DeadLetter",
]

#: Bumped when a change to the models is not backwards compatible.
SCHEMA_VERSION = 1

#: What happened to an entry. Producers may send any of them as a hint;
#: the processor decides the final ``op`` from the entry's history.
Op = Literal["create", "update", "delete"]

MAX_TEXT = 200_000  # characters in one body; a live-blog entry is a few hundred
#: A story id: 1 to 200 of A-Z a-z 0-9 . _ : -, starting with a letter or digit (a Kafka key and a channel name).
STORY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
STORY_ID_MAX = 200
StoryId = Annotated[str, Field(min_length=1, max_length=STORY_ID_MAX, pattern=STORY_ID_PATTERN)]
EntryId = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_max_length=MAX_TEXT)


class Embed(_Strict):
    """A post embedded in an entry (a tweet, a Telegram post, an Instagram post)."""

    kind: str = Field("post", description="post, tweet, video, image…")
    author: str | None = Field(None, description="handle or name of the account that posted it, e.g. @RT.com")
    text: str = ""
    hashtags: list[str] = Field(default_factory=list, description="without the leading #")
    links: list[str] = Field(default_factory=list)
    url: str | None = None


class Quote(_Strict):
    text: str
    speaker: str | None = None


class Person(_Strict):
    name: str


class Organisation(_Strict):
    name: str


class Place(_Strict):
    name: str
    country_code: str | None = Field(None, description="ISO 3166-1 alpha-2")
    lat: float | None = None
    lon: float | None = None


class RawEntry(_Strict):
    """A raw entry as a newsroom system sends it (ingest API body, NDJSON line, parsed page entry).

    ``body_text`` or ``body_html`` is required. ``id`` is derived from the story and
    the content when absent (see :func:`newswire.producers.ids.entry_id`).
    """

    id: EntryId | None = None
    body_text: str | None = None
    body_html: str | None = None
    published_at: datetime | None = Field(None, description="ISO 8601; the time of ingestion when absent")
    author: str | None = Field(None, max_length=500)
    headline: str | None = Field(None, max_length=2000)
    url: str | None = Field(None, max_length=4000)
    key_event: bool = False
    embeds: list[Embed] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_body(self) -> RawEntry:
        if not (self.body_text and self.body_text.strip()) and not (self.body_html and self.body_html.strip()):
            raise ValueError("an entry needs body_text or body_html with some text")
        return self


class RawEvent(_Strict):
    """The value of a ``newswire.entries.raw`` record."""

    schema_version: int = SCHEMA_VERSION
    event_id: str = Field(description="unique per record; also the CloudEvents ce_id header")
    story: StoryId
    op: Op = "create"
    entry: RawEntry
    source: str = Field("unknown", max_length=500, description="which producer sent it, e.g. publish:blog.md")
    ts: int = Field(description="when the producer published it, epoch milliseconds")

    @model_validator(mode="after")
    def _entry_has_id(self) -> RawEvent:
        if not self.entry.id:
            raise ValueError("entry.id must be set by the producer")
        return self


class Entry(_Strict):
    """A processed entry: the value of ``newswire.entries`` and the ``entry`` of a websocket message."""

    schema_version: int = SCHEMA_VERSION
    id: EntryId
    story: StoryId
    version: int = Field(ge=1)
    op: Op
    seq: int = Field(ge=1, description="1, 2, 3… per story, in the order the processor accepted events")
    epoch: str = Field(description="changes whenever the story's seq numbering restarts")
    ts: int = Field(description="when the producer published the raw event, epoch milliseconds")
    published_at: datetime = Field(description="ISO 8601, UTC")
    body_text: str = ""
    body_html: str = ""
    headline: str | None = None
    author: str | None = None
    url: str | None = None
    key_event: bool = False
    quotes: list[Quote] = Field(default_factory=list)
    embeds: list[Embed] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list, description="without the leading #")
    mentions: list[str] = Field(default_factory=list, description="without the leading @")
    links: list[str] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    organisations: list[Organisation] = Field(default_factory=list)
    language: str | None = Field(None, description="ISO 639-1 code")
    keywords: list[str] = Field(default_factory=list)
    fingerprint: str = Field("", description="hash of the normalised content; equal content, equal fingerprint")
    source: str = "unknown"
    duplicate_of: str | None = Field(
        None, description="set when this entry says what an earlier entry of the story already said: that "
                          "entry's id (dashboards may fold this one under it)")
    duplicate_reason: str | None = Field(
        None, description="with duplicate_of: what differs between the two, e.g. 'differs only in a label'")


class DeadLetterSource(_Strict):
    topic: str
    partition: int
    offset: int


class DeadLetter(_Strict):
    """The value of a ``newswire.entries.dlq`` record: a rejected raw record and why.

    ``value`` keeps the whole original record, however long (a record rejected for its size too).
    """

    model_config = ConfigDict(extra="forbid", str_max_length=None)

    schema_version: int = SCHEMA_VERSION
    reason: str
    source: DeadLetterSource
    key: str | None = None
    value: str
    value_encoding: Literal["utf-8", "base64"] = "utf-8"
    received_at: datetime
    duplicate_of: str | None = Field(
        None, description="for a near duplicate dropped (the processor's drop policy): the id of the entry it repeats")
