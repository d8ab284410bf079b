"""Full enrichment of the seed live blog: people, places, speakers, language."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.processors.enrich import enrich
from newswire.processors.normalise import normalise
from newswire.producers.markdown import parse_markdown
from newswire.schemas import Entry

SEED = Path(__file__).parents[2] / "data" / "seed-liveblog.md"


@pytest.fixture(scope="module")
def seed_entries() -> list[Entry]:
    raw = parse_markdown(SEED.read_text(encoding="utf-8"), "syria").entries
    entries = []
    for seq, item in enumerate(raw, start=1):
        clean = normalise(item)
        assert clean.id is not None and clean.published_at is not None
        entry = Entry(id=clean.id, story="syria", version=1, op="create", seq=seq, epoch="e", ts=0,
                      published_at=clean.published_at, body_text=clean.body_text or "",
                      body_html=clean.body_html or "", embeds=clean.embeds)  # fmt: skip
        entries.append(enrich(entry))
    return entries


def test_seed_people(seed_entries: list[Entry]) -> None:
    """Every person of the seed page is found under their full name."""
    people = {p.name for e in seed_entries for p in e.people}
    assert {"Vladimir Putin", "Dmitry Peskov", "Sergey Lavrov", "Sergey Shoigu", "Bashar Assad", "John Kirby",
            "Salim al-Muslat"} <= people  # fmt: skip


def test_seed_places_have_country_and_coordinates(seed_entries: list[Entry]) -> None:
    """The seed's places are found with ISO country codes and numeric coordinates."""
    places = {p.name: p for e in seed_entries for p in e.places}
    expected = {"Syria": "SY", "Russia": "RU", "Geneva": "CH", "Moscow": "RU", "Tartus": "SY", "Latakia": "SY"}
    for name, country in expected.items():
        assert places[name].country_code == country
        assert isinstance(places[name].lat, float) and isinstance(places[name].lon, float)
    assert 55 < (places["Moscow"].lat or 0) < 56


def test_seed_quote_speakers(seed_entries: list[Entry]) -> None:
    """Each quote's speaker is found, through pronouns and follow-on sentences too."""
    speakers = {q.speaker for e in seed_entries for q in e.quotes}
    assert {"Salim al-Muslat", "Dmitry Peskov", "Vladimir Putin", "John Kirby", "Sergey Lavrov"} <= speakers
    by_start = {q.text[:20]: q.speaker for e in seed_entries for q in e.quotes}
    assert by_start["This is a framework d"[:20]] == "Dmitry Peskov"
    assert by_start["the work is not easy"] == "Sergey Lavrov"
    assert by_start["the continuation of "] is None


def test_seed_organisations_language_and_social(seed_entries: list[Entry]) -> None:
    """Organisations, the language and the hashtags of the seed are filled."""
    organisations = {o.name for e in seed_entries for o in e.organisations}
    assert {"High Negotiations Committee", "US State Department", "Ministry of Defense"} <= organisations
    assert {e.language for e in seed_entries} == {"en"}
    rt_post = next(e for e in seed_entries if e.id.startswith("20160314T1840"))
    assert rt_post.hashtags == ["Moscow", "Hmeymim", "Latakia", "Putin", "Russia", "withdrawal"]
    assert all(e.keywords for e in seed_entries)
