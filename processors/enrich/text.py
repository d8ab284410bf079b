"""The text an enricher reads: headline, body and embedded posts not already in the body."""

from __future__ import annotations

from newswire.schemas import Entry

__all__ = ["entry_text"]


def entry_text(entry: Entry) -> str:
    """Headline, body text and the text of each embed the body does not already contain."""
    parts = [entry.headline] if entry.headline else []
    parts.append(entry.body_text)
    parts += [embed.text for embed in entry.embeds if embed.text and embed.text not in entry.body_text]
    return "\n\n".join(part for part in parts if part)
