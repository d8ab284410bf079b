"""Per-entry version rules and per-story sequence numbers: pure functions over plain state.

State is passed in and handed back (the worker keeps it in plain dicts per partition,
``pipeline.PartitionState``):

- entry state, per ``(story, id)``: :class:`EntryState` (fingerprint, version, deleted)
- story state, per story: ``{"seq": last seq, "epoch": epoch}``

Rules (what users rely on):

- unknown id → ``create``, version 1;
- same id, same fingerprint → dropped (``replay``);
- same id, new fingerprint → ``update``, version + 1;
- ``delete`` of a known id → ``delete`` tombstone, version + 1; anything later for that id is
  dropped (``deleted``); a delete of an unknown id is dropped (``unknown_delete``);
- every accepted event takes the story's next ``seq``; a story with no state starts a new
  ``epoch`` at seq 1, so clients can tell a restarted numbering from a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

from newswire.schemas import Op

__all__ = ["EntryState", "StoryState", "Decision", "compact_fingerprint", "decide", "next_seq", "entry_key"]

DropReason = Literal["replay", "deleted", "unknown_delete"]


class EntryState(NamedTuple):
    """What the rules remember of one entry. A worker keeps one for every entry it has seen, so it is a
    tuple holding the fingerprint as an int: ~225 bytes an entry with its key, against ~365 for a dict
    holding the hex string (measured with tracemalloc on 60,000 entries)."""

    fp: int | str  # compact_fingerprint() of the content's fingerprint
    v: int
    deleted: bool = False
    #: set when the entry was dropped as a near duplicate of this kept entry id
    dup_of: str | None = None


def compact_fingerprint(fingerprint: str) -> int | str:
    """The hex fingerprint as one int (same value, a third of the memory); a fingerprint that is not hex
    (written by something else) is kept as it is: it then equals only itself."""
    try:
        return int(fingerprint, 16)
    except ValueError:
        return fingerprint


class StoryState(TypedDict):
    seq: int
    epoch: str


@dataclass(frozen=True)
class Decision:
    """What to do with one raw event: emit it as ``op``/``version``, or drop it for ``reason``."""

    emit: bool
    op: Op | None = None
    version: int = 0
    reason: DropReason | None = None
    entry_state: EntryState | None = None


def entry_key(story: str, entry_id: str) -> str:
    """Table key of an entry; the story comes first so one story's entries share a partition's state."""
    return f"{story}\x1f{entry_id}"


def decide(requested: Op, fingerprint: str, state: EntryState | None) -> Decision:
    """Apply the version rules to one event whose content has ``fingerprint``."""
    fp = compact_fingerprint(fingerprint)
    if state is None:
        if requested == "delete":
            return Decision(False, reason="unknown_delete")
        return Decision(True, "create", 1, entry_state=EntryState(fp, 1))
    if state.deleted:
        return Decision(False, reason="deleted")
    version = state.v + 1
    if requested == "delete":
        return Decision(True, "delete", version, entry_state=EntryState(state.fp, version, deleted=True))
    if fp == state.fp:
        return Decision(False, reason="replay")
    return Decision(True, "update", version, entry_state=EntryState(fp, version))


def next_seq(state: StoryState | None, new_epoch: Callable[[], str]) -> StoryState:
    """The story state after accepting one more event: seq + 1, or seq 1 in a new epoch."""
    if state is None:
        return {"seq": 1, "epoch": new_epoch()}
    return {"seq": state["seq"] + 1, "epoch": state["epoch"]}
