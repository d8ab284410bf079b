"""Enrichment: pure functions that add who, where and what to an entry.

An enricher is any callable ``(entry: Entry) -> dict`` returning the fields it fills
(``{"hashtags": [...]}``); :func:`enrich` applies them in order and returns a new entry.
A newsroom adds its own by passing ``enrichers=DEFAULT_ENRICHERS + (my_enricher,)``.
Enrichers read ``entry.body_text`` / ``entry.embeds`` and never do I/O.

What a newsroom's enricher returns is validated against the :class:`Entry` field it fills
(plain dicts are accepted where the field holds models). The built-in enrichers
(:data:`DEFAULT_ENRICHERS`) are exempt: they return values of the field's type already
(lists of model objects they validated themselves, one list per call; strings), so
validating them again would only cost time. The exemption is by identity: a wrapper around
a built-in is validated like any other enricher.

Enrichers that read the names in a text share one analysis per text (:func:`.names.analyse`,
sorted by kind once by :func:`.names.named`), so the work is done once per entry whatever the
number of enrichers using it.
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

#: Enrichers whose output is of the field's type by construction (identity, not equality).
_BUILT_IN = frozenset(id(enricher) for enricher in DEFAULT_ENRICHERS)


@cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    field = Entry.model_fields.get(name)
    if field is None or field.annotation is None:
        raise ValueError(f"an enricher returned {name!r}, which is not a field of Entry")
    return TypeAdapter(field.annotation)


def enrich(entry: Entry, enrichers: Sequence[Enricher] = DEFAULT_ENRICHERS) -> Entry:
    """Apply each enricher to the entry and return the enriched copy.

    Each enricher sees the fields filled by the ones before it (one private working copy,
    updated in place). The fields a newsroom's enricher filled last are validated, once, at
    the end, so its bad value raises :class:`pydantic.ValidationError` (an unknown field
    :class:`ValueError`) instead of reaching the wire.
    """
    current = entry.model_copy()
    state, filled = current.__dict__, current.__pydantic_fields_set__
    unchecked: dict[str, Any] = {}
    changed = False
    for enricher in enrichers:
        fields = enricher(current)
        if not fields:
            continue
        changed = True
        state.update(fields)
        filled.update(fields)
        if id(enricher) not in _BUILT_IN:
            unchecked.update(fields)
        elif unchecked:
            for name in fields:
                unchecked.pop(name, None)
    if not changed:
        return entry
    state.update({name: _field_adapter(name).validate_python(value) for name, value in unchecked.items()})
    return current
