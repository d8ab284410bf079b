"""NDJSON files of raw entries: one JSON object per line, validated against :class:`RawEntry`."""

from __future__ import annotations

from dataclasses import dataclass, field

from newswire.schemas import RawEntry
from newswire.schemas.codec import SchemaError, loads, validate

from .markdown import ParsedPage

__all__ = ["LineError", "parse_ndjson", "looks_like_ndjson"]


@dataclass
class LineError:
    line: int
    message: str


@dataclass
class NdjsonPage(ParsedPage):
    errors: list[LineError] = field(default_factory=list)


def looks_like_ndjson(text: str) -> bool:
    """True when the first non-blank line is a JSON object."""
    for line in text.splitlines():
        if line.strip():
            return line.lstrip().startswith("{")
    return False


def parse_ndjson(text: str) -> NdjsonPage:
    """Every valid line as a raw entry, and a :class:`LineError` for each bad line.

    Entries come oldest first when all are dated, else in file order.

    Blank lines are skipped. Nothing here guesses: a bad line is reported, never half-published.
    """
    page = NdjsonPage(headline=None)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            page.entries.append(validate(RawEntry, loads(line)))
        except SchemaError as exc:
            page.errors.append(LineError(number, str(exc)))
    if page.entries and all(e.published_at is not None for e in page.entries):
        page.entries.sort(key=lambda e: e.published_at)  # type: ignore[arg-type,return-value]
    return page
