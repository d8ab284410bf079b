"""The text an enricher reads, and word patterns that run faster on ASCII-only text."""

from __future__ import annotations

import re

from newswire.schemas import Entry

__all__ = ["entry_text", "WordPattern"]


def entry_text(entry: Entry) -> str:
    """Headline, body text and the text of each embed the body does not already contain."""
    if not entry.headline and not entry.embeds:
        return entry.body_text  # the same string each time: its hash, for the analysis cache, is kept
    parts = [entry.headline] if entry.headline else []
    parts.append(entry.body_text)
    parts += [embed.text for embed in entry.embeds if embed.text and embed.text not in entry.body_text]
    return "\n\n".join(part for part in parts if part)


class WordPattern:
    """A pattern compiled twice: with Unicode classes, and with ASCII ones for ASCII-only text.

    On ASCII-only text both find the same matches (``\\w``, ``\\d`` and ``[^\\W\\d_]`` agree on
    ASCII characters), and the ASCII classes are tested from a table, up to twice as fast.
    The pattern must not use ``\\s``, which differs on ASCII control characters.
    """

    def __init__(self, pattern: str) -> None:
        if r"\s" in pattern:
            raise ValueError("\\s matches more with Unicode classes than with ASCII ones, even on ASCII text")
        self.unicode = re.compile(pattern)
        self.ascii = re.compile(pattern, re.ASCII)

    def on(self, text: str) -> re.Pattern[str]:
        """The compiled pattern to run on ``text`` (str.isascii() is a flag lookup, not a scan)."""
        return self.ascii if text.isascii() else self.unicode
