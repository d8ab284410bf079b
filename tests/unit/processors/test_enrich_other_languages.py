"""Enrichment of entries from real non-English live pages: no English rule misfires on them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import stopwordsiso

from newswire.processors.enrich import enrich
from newswire.processors.normalise import normalise
from newswire.producers.detect import decode_text
from newswire.producers.html import parse_html
from newswire.schemas import Entry

PAGES = Path(__file__).parents[2] / "data" / "real" / "pages"


def _enriched(name: str) -> list[Entry]:
    page = parse_html(decode_text((PAGES / name).read_bytes()), "s")
    entries = []
    for number, raw in enumerate(page.entries, start=1):
        clean = normalise(raw)
        entry = Entry(id=raw.id or str(number), story="s", version=1, op="create", seq=number, epoch="e", ts=0,
                      published_at=datetime(2024, 1, 1, tzinfo=UTC), body_text=clean.body_text or "",
                      body_html=clean.body_html or "")
        entries.append(enrich(entry))
    return entries


@pytest.mark.parametrize(("name", "language"), [("repubblica.it.html", "it"), ("sportowefakty.wp.pl.html", "pl")])
def test_language_is_detected_per_entry(name: str, language: str) -> None:
    """Nearly every entry of an Italian and a Polish page gets its language (Polish "na", "do" are not Portuguese)."""
    entries = [e for e in _enriched(name) if len(e.body_text) >= 60]
    right = sum(e.language == language for e in entries)
    assert right >= 0.9 * len(entries), [(e.language, e.body_text[:50]) for e in entries if e.language != language]


@pytest.mark.parametrize(("name", "language"), [("repubblica.it.html", "it"), ("sportowefakty.wp.pl.html", "pl")])
def test_keywords_are_not_the_languages_function_words(name: str, language: str) -> None:
    """Keywords of Italian and Polish entries hold none of the language's stop words ("degli", "hanno")."""
    stop = {word.lower() for word in stopwordsiso.stopwords(language)}
    found = {k for e in _enriched(name) if e.language == language for k in e.keywords}
    assert found and not found & stop, sorted(found & stop)


def test_no_one_or_two_letter_places_from_words_of_another_language() -> None:
    """Polish "Do" (until) is not the Iranian town Do."""
    places = {p.name for e in _enriched("sportowefakty.wp.pl.html") for p in e.places}
    assert not [name for name in places if len(name) <= 2]


def test_names_in_italian_entries_are_found() -> None:
    """People and places an Italian reader would list are still found."""
    entries = _enriched("repubblica.it.html")
    people = {p.name for e in entries for p in e.people}
    places = {p.name for e in entries for p in e.places}
    assert {"Joe Biden", "Benyamin Netanyahu"} <= people
    assert {"Gaza", "Qatar"} <= places


def test_countries_are_found_under_their_names_in_other_languages() -> None:
    """Exonyms from pycountry's translations: "Israele", "Libano" in la Repubblica's entries; "Allemagne", "Niemcy"."""
    entries = _enriched("repubblica.it.html")
    found = {(p.name, p.country_code) for e in entries for p in e.places}
    assert {("Israele", "IL"), ("Libano", "LB")} <= found
    from newswire.processors.enrich.gazetteer import PLACES

    assert PLACES["Allemagne"].country_code == PLACES["Niemcy"].country_code == "DE"
    assert "Maurice" not in PLACES or not PLACES["Maurice"].is_country
