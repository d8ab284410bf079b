"""Enrichment: pure functions that add who, where and what to an entry.

An enricher is any callable ``(entry: Entry) -> dict`` returning the fields it fills
(``{"hashtags": [...]}``); :func:`enrich` applies them in order and returns a new entry.
A newsroom adds its own by passing ``enrichers=DEFAULT_ENRICHERS + (my_enricher,)``.
Enrichers read ``entry.body_text`` / ``entry.embeds`` and never do I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from newswire.schemas import Entry

from .social import social

__all__ = ["Enricher", "DEFAULT_ENRICHERS", "enrich"]

Enricher = Callable[[Entry], dict[str, Any]]

DEFAULT_ENRICHERS: tuple[Enricher, ...] = (social,)


def enrich(entry: Entry, enrichers: Sequence[Enricher] = DEFAULT_ENRICHERS) -> Entry:
    """Apply each enricher to the entry and return the enriched copy."""
    updates: dict[str, Any] = {}
    current = entry
    for enricher in enrichers:
        fields = enricher(current)
        if fields:
            updates.update(fields)
            current = current.model_copy(update=fields)
    return Entry.model_validate(current.model_dump()) if updates else current
