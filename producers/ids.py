"""Stable entry ids: the same entry gets the same id on every run, so an edit becomes an update."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime

__all__ = ["entry_id_for_time", "entry_id_for_content"]


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=10).hexdigest()


def entry_id_for_time(story: str, published_at: datetime, ordinal: int) -> str:
    """Id of a page entry that carries no id: its story, its displayed minute (UTC), and its
    position (0, 1, …, oldest first) among the entries shown at that same minute.

    Editing the text keeps the id; the entry becomes an update.
    """
    minute = published_at.strftime("%Y%m%dT%H%M")
    return f"{minute}-{ordinal}-{_digest(story, minute, str(ordinal))[:8]}"


def entry_id_for_content(story: str, text: str) -> str:
    """Id of an entry with neither id nor time: a digest of the story and its whitespace-folded text."""
    folded = " ".join(unicodedata.normalize("NFC", text).split()).casefold()
    return f"c-{_digest(story, folded)}"
