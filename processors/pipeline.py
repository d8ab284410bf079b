"""One raw record in, one outcome out: validate → normalise → version → near duplicates → sequence → enrich.

Near duplicates: an entry with a new id that says what an earlier entry of the story already said
(:mod:`.neardup` finds candidates, :mod:`.difference` decides) is delivered marked with that
entry's id (``duplicate_of``), the default, or dropped and recorded on the dead-letter topic with
the id and the reason, under the ``drop`` policy (:data:`NearDuplicatePolicy`). An edit of an entry
already delivered is always delivered, as an update, marked when it now repeats another entry.

No Kafka here: the faust agent (:mod:`newswire.processors.app`) passes the record's
bytes and sends what comes back. The state (:class:`PartitionState`, per input partition)
is plain memory, rebuilt from ``newswire.entries`` after a restart; it is written by
:meth:`Processor.apply`, only for emitted entries.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from newswire.landmarks import Landmark
from newswire.schemas import DeadLetter, DeadLetterSource, Entry, SchemaError, decode_raw

from . import neardup
from .difference import Post, compare, post_of
from .enrich import DEFAULT_ENRICHERS, Enricher, enrich
from .normalise import fingerprint, normalise
from .versioning import EntryState, StoryState, compact_fingerprint, decide, entry_key, next_seq

log = logging.getLogger("newswire.processor")

__all__ = ["NearDuplicatePolicy", "Outcome", "PartitionState", "Processor", "dead_letter", "new_epoch"]

#: What the processor does with a new entry that repeats an earlier one: ``mark`` delivers it with
#: ``duplicate_of`` (nothing is lost if the rule is wrong), ``drop`` records it on the dead-letter topic.
NearDuplicatePolicy = Literal["mark", "drop"]


@dataclass
class Outcome:
    """One of ``entry`` (emit it), ``dead_letter`` (reject it) or ``dropped`` (a reason) is set; a near duplicate
    dropped under the ``drop`` policy has both ``dropped`` and ``dead_letter`` (the record of the drop)."""

    entry: Entry | None = None
    dead_letter: DeadLetter | None = None
    dropped: str | None = None
    #: seconds spent in each stage (validate, normalise, dedup, enrich) of an emitted entry, for the stage metric
    timings: dict[str, float] = field(default_factory=dict)
    #: the entry this one near-duplicates (dropped as ``near_duplicate``, or delivered marked)
    duplicate_of: str | None = None
    #: the input partition, whose state :meth:`Processor.apply` updates
    partition: int = 0
    #: the emitted entry's near-duplicate signature (None for a delete or a text without words)
    signature: bytes | None = None
    #: what comparing with near-duplicate candidates found: "same" (a near duplicate), "news" (candidates that
    #: differ in something that carries news), None (no candidate)
    near_verdict: Literal["same", "news"] | None = None


@dataclass
class PartitionState:
    """What the rules remember for the stories of one input partition.

    Everything here can be rebuilt from the entries already on ``newswire.entries`` (same
    partition number): :meth:`absorb` is used both for entries this worker emits and for
    entries read back from the topic after a (re)assignment, and is idempotent.
    """

    entries: dict[str, EntryState] = field(default_factory=dict)
    stories: dict[str, StoryState] = field(default_factory=dict)
    #: per story, the near-duplicate signatures of its last neardup.MAX_REMEMBERED live entries
    near: dict[str, neardup.SignatureSet] = field(default_factory=dict)
    #: offset on newswire.entries up to which this state has read back (see the worker)
    read_to: int = 0
    #: the newest record known to be on newswire.entries (read back or emitted): if it is no longer
    #: there, the topic was recreated (a broker restarted without storage; see newswire/landmarks.py)
    landmark: Landmark | None = None

    def reset(self) -> None:
        """Forget everything (the output topic this state was read from is gone)."""
        self.entries.clear()
        self.stories.clear()
        self.near.clear()
        self.read_to = 0
        self.landmark = None

    def note_on_topic(self, landmark: Landmark) -> None:
        """Remember that an entry is on newswire.entries at ``landmark.offset`` (kept if newer than the last one)."""
        if self.landmark is None or landmark.offset > self.landmark.offset:
            self.landmark = landmark

    def absorb(self, entry: Entry | dict[str, Any], signature: bytes | None | Literal["compute"] = "compute") -> None:
        """Take an emitted entry (model or decoded JSON) into the state, unless the state already knows
        a newer version / seq. ``signature="compute"`` derives it from the body text."""
        # a dict literal, not model_dump(): this runs for every emitted entry
        data: dict[str, Any] = entry if isinstance(entry, dict) else {
            "story": entry.story, "id": entry.id, "version": entry.version, "op": entry.op, "seq": entry.seq,
            "epoch": entry.epoch, "fingerprint": entry.fingerprint, "body_text": entry.body_text,
            "body_html": entry.body_html, "embeds": entry.embeds, "duplicate_of": entry.duplicate_of}
        story, entry_id, version = data["story"], data["id"], data["version"]
        story_state = self.stories.get(story)
        if story_state is None or data["seq"] > story_state["seq"]:
            self.stories[story] = {"seq": data["seq"], "epoch": data["epoch"]}
        ekey = entry_key(story, entry_id)
        current = self.entries.get(ekey)
        if current is not None and current.v >= version:
            return
        deleted = data["op"] == "delete"
        self.entries[ekey] = EntryState(compact_fingerprint(data["fingerprint"]), version, deleted)
        remembered = self.near.get(story)
        if remembered is None:
            remembered = self.near[story] = neardup.SignatureSet()
        remembered.discard(entry_id)
        if deleted or data.get("duplicate_of"):  # a marked duplicate: later copies are compared with the original
            return
        text = data.get("body_text") or ""
        if signature == "compute":
            try:
                signature = neardup.signature_bytes(text)
            except ValueError:
                signature = None
        if signature is not None:
            remembered.add(entry_id, signature, post_of(text, data.get("body_html") or "", data.get("embeds")))


def new_epoch() -> str:
    """A fresh epoch id: the time it started, in hex milliseconds (sortable, short, unique enough)."""
    return format(time.time_ns() // 1_000_000, "x")


def dead_letter(reason: str, value: bytes, source: DeadLetterSource, key: bytes | None, now: datetime,
                duplicate_of: str | None = None) -> DeadLetter:
    """A DLQ record keeping the original bytes: as text when UTF-8, else base64."""
    try:
        text, encoding = value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(value).decode("ascii"), "base64"
    encoding = cast(Literal["utf-8", "base64"], encoding)
    key_text = key.decode("utf-8", "replace") if key is not None else None
    return DeadLetter(reason=reason, source=source, key=key_text, value=text, value_encoding=encoding,
                      received_at=now, duplicate_of=duplicate_of)


def same_as_earlier(candidates: list[tuple[str, Post | None]], post: Post) -> tuple[str, str] | Literal["news"]:
    """The candidate this post repeats and why they are the same, or ``"news"`` when each candidate differs in
    something that carries news."""
    for kept_id, kept_post in candidates:
        if kept_post is not None:
            verdict = compare(kept_post, post)
            if verdict.same:
                return kept_id, verdict.reason
    return "news"


class Processor:
    """The processing rules bound to their state, one :class:`PartitionState` per input partition."""

    def __init__(
        self,
        *,
        enrichers: tuple[Enricher, ...] = DEFAULT_ENRICHERS,
        epoch_factory: Callable[[], str] = new_epoch,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        near_duplicates: NearDuplicatePolicy = "mark",
    ) -> None:
        if near_duplicates not in ("mark", "drop"):
            raise ValueError(f"near_duplicates must be 'mark' or 'drop', not {near_duplicates!r}")
        self.near_duplicates = near_duplicates
        self.partitions: dict[int, PartitionState] = {}
        self.enrichers = enrichers
        self.epoch_factory = epoch_factory
        self.clock = clock

    def state(self, partition: int) -> PartitionState:
        """The state of one input partition (empty when never seen)."""
        found = self.partitions.get(partition)
        if found is None:
            found = self.partitions[partition] = PartitionState()
        return found

    def handle(self, key: bytes | None, value: bytes | None, source: DeadLetterSource) -> Outcome:
        """Decide what to do with one raw record. Never raises: a record that breaks a rule's code
        goes to the dead-letter topic with the error, so one poison message cannot stop the stream."""
        try:
            return self._handle(key, value, source)
        except Exception as exc:  # noqa: BLE001 - any bug on one record must not stop the worker
            log.exception("internal error on %s[%d]@%d", source.topic, source.partition, source.offset)
            return Outcome(dead_letter=dead_letter(f"internal error: {exc!r}"[:2000], value or b"", source, key,
                                                   self.clock()))

    def _handle(self, key: bytes | None, value: bytes | None, source: DeadLetterSource) -> Outcome:
        now = self.clock()
        received = time.perf_counter()
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
            if raw.op != "delete":
                return Outcome(dead_letter=dead_letter(f"entry: {exc}", value, source, key, now))
            clean = raw.entry  # a tombstone needs only the id: its body is dropped anyway
        fp = fingerprint(clean)
        assert clean.id is not None  # RawEvent validation guarantees it
        state = self.state(source.partition)
        ekey = entry_key(raw.story, clean.id)
        previous = state.entries.get(ekey)
        if previous is not None and previous.dup_of:  # dropped before as a near duplicate: never delivered
            if raw.op == "delete":
                return Outcome(dropped="unknown_delete")
            if previous.fp == compact_fingerprint(fp):
                return Outcome(dropped="replay")  # the drop was recorded the first time
            previous = None  # an edit of a post nobody received: judged afresh below
        decision = decide(raw.op, fp, previous)
        if not decision.emit:
            return Outcome(dropped=decision.reason)
        assert decision.op is not None and decision.entry_state is not None
        signature = None
        near: tuple[str, str] | Literal["news"] | None = None
        dedup_started = time.perf_counter()
        if decision.op != "delete":
            try:
                signature = neardup.signature_bytes(clean.body_text or "")
            except ValueError:  # no words to compare (a bare link): never a near duplicate
                signature = None
            remembered = state.near.get(raw.story)
            if remembered is not None and signature is not None:
                candidates = remembered.candidates(signature, exclude=clean.id)
                if candidates:  # the post to compare is built only then: most entries have no candidate
                    near = same_as_earlier(candidates, post_of(clean.body_text or "", clean.body_html or "",
                                                               clean.embeds))
        near_verdict: Literal["same", "news"] | None = "news" if near == "news" else "same" if near else None
        duplicate_of = duplicate_reason = None
        if isinstance(near, tuple):
            duplicate_of, duplicate_reason = near
            if self.near_duplicates == "drop" and previous is None:
                state.entries[ekey] = EntryState(compact_fingerprint(fp), 0, dup_of=duplicate_of)
                reason = f"near duplicate of entry {duplicate_of!r}: {duplicate_reason}"
                return Outcome(dropped="near_duplicate", duplicate_of=duplicate_of, near_verdict="same",
                               dead_letter=dead_letter(reason, value, source, key, now, duplicate_of=duplicate_of))
        dedup_seconds = time.perf_counter() - dedup_started
        story_state = next_seq(state.stories.get(raw.story), self.epoch_factory)

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
            duplicate_of=duplicate_of,
            duplicate_reason=duplicate_reason,
        )
        normalised = time.perf_counter()
        if not deleted:
            entry = enrich(entry, self.enrichers)
        enriched = time.perf_counter()
        timings = {"validate": started - received, "normalise": normalised - started - dedup_seconds,
                   "dedup": dedup_seconds, "enrich": enriched - normalised}
        return Outcome(entry=entry, timings=timings, partition=source.partition, signature=signature,
                       near_verdict=near_verdict, duplicate_of=duplicate_of)

    def apply(self, outcome: Outcome) -> None:
        """Record an emitted entry in the state. The worker calls it once the entry is handed to Kafka."""
        if outcome.entry is not None:
            self.state(outcome.partition).absorb(outcome.entry, outcome.signature)

    def process(self, key: bytes | None, value: bytes | None, source: DeadLetterSource) -> Outcome:
        """handle() and apply() in one step, for callers without a transport in between."""
        outcome = self.handle(key, value, source)
        self.apply(outcome)
        return outcome
