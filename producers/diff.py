"""Change detection between two fetches of a page: pure, no I/O.

A snapshot maps entry id → (fingerprint, entry). Comparing the previous snapshot with the
entries of a new fetch gives what to publish: new ids are creates, a changed fingerprint is
an update, an id that vanished is a delete (carrying the entry as last seen).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from newswire.schemas import Op, RawEntry

from .ids import entry_id_for_content

__all__ = ["Change", "Snapshot", "fingerprint", "with_ids", "diff_entries", "apply_change"]

#: entry id → (fingerprint, the entry as JSON-ready dict)
Snapshot = dict[str, tuple[str, dict]]  # type: ignore[type-arg]


@dataclass(frozen=True)
class Change:
    op: Op
    entry: RawEntry


def fingerprint(entry: RawEntry) -> str:
    """Digest of everything a reader sees in the entry; equal content, equal fingerprint."""
    data = orjson.dumps(entry.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def with_ids(story: str, entries: Iterable[RawEntry]) -> list[RawEntry]:
    """The entries, each with an id (content-derived when the source gave none)."""
    out = []
    for entry in entries:
        if not entry.id:
            content_id = entry_id_for_content(story, entry.body_text or entry.body_html or "")
            entry = entry.model_copy(update={"id": content_id})
        out.append(entry)
    return out


def diff_entries(previous: Snapshot, current: list[RawEntry], *, deletes: bool = True) -> list[Change]:
    """Creates and updates in the order of ``current`` (oldest first), then deletes in snapshot order.

    Every entry of ``current`` must have an id (see :func:`with_ids`); a repeated id counts once.
    """
    changes: list[Change] = []
    seen: set[str] = set()
    for entry in current:
        assert entry.id is not None
        if entry.id in seen:
            continue
        seen.add(entry.id)
        old = previous.get(entry.id)
        if old is None:
            changes.append(Change("create", entry))
        elif old[0] != fingerprint(entry):
            changes.append(Change("update", entry))
    if deletes:
        for entry_id, (_, data) in previous.items():
            if entry_id not in seen:
                changes.append(Change("delete", RawEntry.model_validate(data)))
    return changes


def apply_change(snapshot: Snapshot, change: Change) -> None:
    """Record a published change in the snapshot."""
    assert change.entry.id is not None
    if change.op == "delete":
        snapshot.pop(change.entry.id, None)
    else:
        snapshot[change.entry.id] = (fingerprint(change.entry), change.entry.model_dump(mode="json"))
