"""One raw record in, one outcome out: validate → normalise → version → sequence → enrich.

No Kafka here: the faust agent (:mod:`newswire.processors.app`) passes the record's
bytes and the state mappings (faust tables there, dicts in tests) and sends what
comes back. State is written by :meth:`Processor.apply`, only for emitted entries.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newswire.schemas import DeadLetter, DeadLetterSource, Entry, SchemaError, decode_raw

from . import neardup
from .enrich import DEFAULT_ENRICHERS, Enricher, enrich
from .normalise import fingerprint, normalise
from .versioning import EntryState, StoryState, decide, entry_key, next_seq

__all__ = ["Outcome", "Processor", "dead_letter", "new_epoch"]


@dataclass
class Outcome:
    """Exactly one of ``entry`` (emit it), ``dead_letter`` (reject it) or ``dropped`` (a reason) is set."""

    entry: Entry | None = None
    dead_letter: DeadLetter | None = None
    dropped: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: the entry this one near-duplicates, when it was dropped as ``near_duplicate``
    duplicate_of: str | None = None
    #: state writes to make once the entry is safely on the output topic (see Processor.apply)
    pending: list[tuple[MutableMapping[str, Any], str, Any]] = field(default_factory=list)


def new_epoch() -> str:
    """A fresh epoch id: the time it started, in hex milliseconds (sortable, short, unique enough)."""
    return format(time.time_ns() // 1_000_000, "x")


def dead_letter(reason: str, value: bytes, source: DeadLetterSource, key: bytes | None, now: datetime) -> DeadLetter:
    """A DLQ record keeping the original bytes: as text when UTF-8, else base64."""
    try:
        text, encoding = value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(value).decode("ascii"), "base64"
    key_text = key.decode("utf-8", "replace") if key is not None else None
    return DeadLetter(reason=reason, source=source, key=key_text, value=text, value_encoding=encoding,  # type: ignore[arg-type]
                      received_at=now)


class Processor:
    """The processing rules bound to their state stores."""

    def __init__(
        self,
        entries: MutableMapping[str, EntryState],
        stories: MutableMapping[str, StoryState],
        near: MutableMapping[str, dict[str, Any]] | None = None,
        *,
        enrichers: tuple[Enricher, ...] = DEFAULT_ENRICHERS,
        epoch_factory: Callable[[], str] = new_epoch,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.entries = entries
        self.stories = stories
        self.near: MutableMapping[str, dict[str, Any]] = near if near is not None else {}
        self.enrichers = enrichers
        self.epoch_factory = epoch_factory
        self.clock = clock

    def handle(self, key: bytes | None, value: bytes | None, source: DeadLetterSource) -> Outcome:
        now = self.clock()
        if value is None:
            return Outcome(dead_letter=dead_letter("empty record (no value)", b"", source, key, now))
        try:
            raw = decode_raw(value)
        except SchemaError as exc:
            return Outcome(dead_letter=dead_letter(str(exc), value, source, key, now))
        if key is not None and key != raw.story.encode():
            reason = f"record key {key.decode('utf-8', 'replace')!r} does not match story {raw.story!r}"
            return Outcome(dead_letter=dead_letter(reason, value, source, key, now))

        started = time.perf_counter()
        try:
            clean = normalise(raw.entry)
        except ValueError as exc:  # e.g. HTML that is nothing but scripts: no text left once sanitised
            return Outcome(dead_letter=dead_letter(f"entry: {exc}", value, source, key, now))
        fp = fingerprint(clean)
        assert clean.id is not None  # RawEvent validation guarantees it
        ekey = entry_key(raw.story, clean.id)
        previous = self.entries.get(ekey)
        if previous is not None and previous.get("dup_of"):
            return Outcome(dropped="near_duplicate", duplicate_of=previous["dup_of"])
        decision = decide(raw.op, fp, previous)
        if not decision.emit:
            return Outcome(dropped=decision.reason)
        assert decision.op is not None and decision.entry_state is not None
        writes: list[tuple[MutableMapping[str, Any], str, Any]] = []
        if decision.op != "delete":
            try:
                kept_id, near_state = neardup.check(self.near.get(raw.story), clean.id, clean.body_text or "")
            except ValueError:  # no words to compare (a bare link): never a near duplicate
                kept_id, near_state = None, None
            if kept_id is not None:
                # remembered, so replays of this id are dropped without comparing again
                self.entries[ekey] = {"fp": fp, "v": 0, "deleted": False, "dup_of": kept_id}
                return Outcome(dropped="near_duplicate", duplicate_of=kept_id)
            if near_state is not None:
                writes.append((self.near, raw.story, near_state))
        story_state = next_seq(self.stories.get(raw.story), self.epoch_factory)

        deleted = decision.op == "delete"
        entry = Entry(
            id=clean.id,
            story=raw.story,
            version=decision.version,
            op=decision.op,
            seq=story_state["seq"],
            epoch=story_state["epoch"],
            ts=raw.ts,
            published_at=clean.published_at or now,
            body_text="" if deleted else (clean.body_text or ""),
            body_html="" if deleted else (clean.body_html or ""),
            headline=clean.headline,
            author=clean.author,
            url=clean.url,
            key_event=clean.key_event,
            embeds=[] if deleted else clean.embeds,
            fingerprint=fp,
            source=raw.source,
        )
        normalised = time.perf_counter()
        if not deleted:
            entry = enrich(entry, self.enrichers)
        enriched = time.perf_counter()
        writes += [(self.entries, ekey, decision.entry_state), (self.stories, raw.story, story_state)]  # type: ignore[list-item]
        return Outcome(entry=entry, timings={"normalise": normalised - started, "enrich": enriched - normalised},
                       pending=writes)

    def apply(self, outcome: Outcome) -> None:
        """Record an emitted entry's state. Called after the entry was handed to Kafka, so a crash in
        between re-emits the entry (recovered from the output topic) rather than losing it."""
        for store, key, value in outcome.pending:
            store[key] = value

    def process(self, key: bytes | None, value: bytes | None, source: DeadLetterSource) -> Outcome:
        """handle() and apply() in one step, for callers without a transport in between."""
        outcome = self.handle(key, value, source)
        self.apply(outcome)
        return outcome
