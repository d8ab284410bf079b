"""Per-entry version rules and per-story sequence numbers: pure functions over plain state.

State is passed in and handed back, so the same code runs on faust tables in the
worker and on dicts in tests:

- entry state, per ``(story, id)``: ``{"fp": fingerprint, "v": version, "del": deleted}``
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
from typing import Literal, NotRequired, TypedDict

from newswire.schemas import Op

__all__ = ["EntryState", "StoryState", "Decision", "decide", "next_seq", "entry_key"]

DropReason = Literal["replay", "deleted", "unknown_delete"]


class EntryState(TypedDict):
    fp: str
    v: int
    deleted: bool
    #: set when the entry was dropped as a near duplicate of this kept entry id
    dup_of: NotRequired[str]


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
    if state is None:
        if requested == "delete":
            return Decision(False, reason="unknown_delete")
        return Decision(True, "create", 1, entry_state={"fp": fingerprint, "v": 1, "deleted": False})
    if state["deleted"]:
        return Decision(False, reason="deleted")
    version = state["v"] + 1
    if requested == "delete":
        return Decision(True, "delete", version, entry_state={"fp": state["fp"], "v": version, "deleted": True})
    if fingerprint == state["fp"]:
        return Decision(False, reason="replay")
    return Decision(True, "update", version, entry_state={"fp": fingerprint, "v": version, "deleted": False})


def next_seq(state: StoryState | None, new_epoch: Callable[[], str]) -> StoryState:
    """The story state after accepting one more event: seq + 1, or seq 1 in a new epoch."""
    if state is None:
        return {"seq": 1, "epoch": new_epoch()}
    return {"seq": state["seq"] + 1, "epoch": state["epoch"]}
