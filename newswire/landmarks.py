"""Landmarks: how the processor's read-back tells a recreated ``newswire.entries`` from the one it read.

A topic deleted and created again (or a cluster that lost its data) starts over at offset 0, and
end offsets alone cannot always tell: by the time a worker is assigned the partition again, the
new topic may already be as long as the old one. The record itself can: the worker remembers the
last record it knows to be at an offset (its landmark), and the topic was recreated when that
offset no longer holds the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

__all__ = ["Landmark", "landmark_of", "is_recreated"]


@dataclass(frozen=True, slots=True)
class Landmark:
    """The last record read from a partition; unless the topic was recreated, it is still at its offset."""

    offset: int
    story: object
    id: object
    version: object


def landmark_of(offset: int, value: bytes | None) -> Landmark:
    """The landmark a record at ``offset`` makes (an unreadable value leaves only the offset to compare)."""
    try:
        entry = orjson.loads(value) if value is not None else None
    except orjson.JSONDecodeError:
        entry = None
    if not isinstance(entry, dict):
        return Landmark(offset, None, None, None)
    return Landmark(offset, entry.get("story"), entry.get("id"), entry.get("version"))


def is_recreated(landmark: Landmark, found: Landmark | None) -> bool:
    """Whether the partition was recreated: the record now at the landmark's offset (None: absent) differs."""
    return found != landmark
