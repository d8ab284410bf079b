"""Enrichment: pure functions that add who, where and what to an entry.

An enricher is any callable ``(entry: Entry) -> dict`` returning the fields it fills
(``{"hashtags": [...]}``); :func:`enrich` applies them in order and returns a new entry.
A newsroom adds its own by passing ``enrichers=DEFAULT_ENRICHERS + (my_enricher,)``.
Enrichers read ``entry.body_text`` / ``entry.embeds`` and never do I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from newswire.schemas import Entry

from .entities import people_and_organisations, places
from .keywords import keywords
from .language import language
from .quotes import quotes
from .social import social

__all__ = ["Enricher", "DEFAULT_ENRICHERS", "enrich"]

Enricher = Callable[[Entry], dict[str, Any]]

DEFAULT_ENRICHERS: tuple[Enricher, ...] = (social, quotes, people_and_organisations, places, language, keywords)


@cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    field = Entry.model_fields.get(name)
    if field is None:
        raise ValueError(f"an enricher returned {name!r}, which is not a field of Entry")
    return TypeAdapter(field.annotation)


def enrich(entry: Entry, enrichers: Sequence[Enricher] = DEFAULT_ENRICHERS) -> Entry:
    """Apply each enricher to the entry and return the enriched copy.

    Each enricher sees the fields filled by the ones before it (one private working copy,
    updated in place); only the filled fields are validated, once, at the end, so a bad
    value from any enricher raises :class:`pydantic.ValidationError` (an unknown field
    :class:`ValueError`) instead of reaching the wire.
    """
    updates: dict[str, Any] = {}
    current = entry.model_copy()
    for enricher in enrichers:
        fields = enricher(current)
        if fields:
            updates.update(fields)
            current.__dict__.update(fields)
    if not updates:
        return entry
    validated = {name: _field_adapter(name).validate_python(value) for name, value in updates.items()}
    return entry.model_copy(update=validated)
