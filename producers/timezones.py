"""Time-zone words that live blogs print after a time ("19:16 GMT"), as UTC offsets in hours."""

from __future__ import annotations

from datetime import timedelta

ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "BST": 1, "IST": 1, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "AST": 3, "GST": 4, "PKT": 5, "SGT": 8, "HKT": 8, "JST": 9, "KST": 9,
    "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}


def zone_offset(word: str | None) -> timedelta | None:
    """The UTC offset of a zone word, or None when the word is unknown."""
    if word is None:
        return timedelta(0)
    hours = ZONE_OFFSETS.get(word.strip().upper())
    return None if hours is None else timedelta(hours=hours)

#: Zone words that name several zones (IST: India, Ireland, Israel; CST: US Central, China; AST: Arabia,
#: Atlantic): a page's own evidence of its zone wins over the table above for them.
AMBIGUOUS_ZONES = frozenset({"IST", "CST", "AST"})
