"""Live pages as six real publishers serve them (tests/data/real/README.md says where each comes from).

Counts and times are checked against each page's own data: its schema.org LiveBlogPosting, the
time it shows beside an entry, and the zone the page states.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newswire.producers.detect import decode_text, parse_document
from newswire.producers.markdown import ParsedPage

PAGES = Path(__file__).parents[2] / "data" / "real" / "pages"


def _page(name: str, **options: object) -> ParsedPage:
    from newswire.producers.html import parse_html

    return parse_html(decode_text((PAGES / name).read_bytes()), "s", **options)  # type: ignore[arg-type]


def _by_start(page: ParsedPage, start: str):  # noqa: ANN202
    found = [e for e in page.entries if (e.body_text or "").startswith(start)]
    assert len(found) == 1, [e.body_text[:60] for e in page.entries if e.body_text]
    assert found[0].body_text is not None
    return found[0]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_cork_beo_entries_come_from_structured_data_with_their_offsets_and_bylines() -> None:
    """26 updates in LiveBlogPosting. The page shows "08:44" (Irish summer time); the data says +01:00."""
    page = _page("corkbeo.ie.html")
    assert len(page.entries) == 26 and page.warnings == []
    circuit = _by_start(page, "Last night Tanaiste Leo Varadkar revealed")
    assert circuit.published_at == _utc("2020-10-06T08:44:43.784+01:00")
    assert (circuit.headline, circuit.author, circuit.id) == ("'Circuit breaker' plan - NPHET vs Government",
                                                             "Gavin O'Callaghan", "u-2258190")
    goodnight = _by_start(page, "We are logging off for the night")
    assert goodnight.published_at == _utc("2020-10-06T21:22:53.212+01:00") and goodnight.headline == "Goodnight"
    assert not any((e.body_text or e.body_html or "").startswith(("Gavin O'Callaghan", "Frances Watkins"))
                   for e in page.entries)
    assert [e.published_at for e in page.entries] == sorted(e.published_at for e in page.entries)


def test_la_repubblica_shows_local_times_and_its_data_says_utc() -> None:
    """79 updates (the visible page has 96 blocks with a time). "00:30" on the page is 23:30Z in its data."""
    page = _page("repubblica.it.html")
    assert len(page.entries) == 79 and page.warnings == []
    first = page.entries[0]
    assert first.published_at == _utc("2023-11-01T23:30:20Z")
    assert first.headline == "Israele: \u201cColpite due cellule terroristiche in Libano\u201d"
    assert first.body_text.startswith("L'esercito israeliano ha riferito")
    assert page.entries[-1].published_at == _utc("2023-11-02T15:56:32Z")
    assert not any("[[ge:" in (e.body_text or "") for e in page.entries)  # the publisher's embed placeholders


def test_times_of_india_keeps_the_visible_full_text_and_drops_the_time_labels() -> None:
    """8 updates; the data cuts each text at 100 characters and starts its headline with "19:02(IST)"."""
    page = _page("timesofindia.indiatimes.com.html")
    assert len(page.entries) == 8
    toss = _by_start(page, "TOSS: Sunrisers Hyderabad win toss")
    assert toss.published_at == _utc("2020-10-02T19:02:32+05:30") and toss.id == "u-post1"
    rayudu = _by_start(page, "Ambati Rayudu's much-awaited comeback")
    assert len(rayudu.body_text) > 100 and rayudu.published_at == _utc("2020-10-02T18:16:25+05:30")
    assert not any((e.body_text or "").startswith(("18:", "19:", "Oct 02")) for e in page.entries)


def test_ndtv_microdata_updates_with_indian_standard_time() -> None:
    """40 liveBlogUpdate items in microdata; "(IST)" is India's +05:30 here, not Irish time."""
    page = _page("sports.ndtv.com.html")
    assert len(page.entries) == 40
    wrap = _by_start(page, "Okay, folks! That's it from the game.")
    assert wrap.published_at == _utc("2023-11-02T21:06:52+05:30")
    assert wrap.headline == "India vs Sri Lanka: It's a wrap!" and wrap.author == "NDTV Sports"
    assert not any((e.body_text or "").startswith("November") for e in page.entries)


def test_sportowefakty_times_without_a_zone_need_tz_or_warn() -> None:
    """A Polish match report: a LiveBlogPosting element with no updates marked, so its 53 children with text are
    the updates. "19:30" with no zone: read in --tz Europe/Warsaw, else taken as UTC with a warning."""
    page = _page("sportowefakty.wp.pl.html", tz=ZoneInfo("Europe/Warsaw"))
    assert len(page.entries) == 53 and page.warnings == []
    entry = _by_start(page, "Piotr Protasiewicz pojedzie teraz po raz 2600.")
    assert entry.published_at == datetime(2020, 9, 28, 17, 30, tzinfo=UTC)
    assert page.entries[-1].body_text.startswith("Koniec. Fogo Unia Leszno")
    assert page.entries[0].body_text.startswith("ZOBACZ WIDEO Bartosz Zmarzlik")
    guessed = _page("sportowefakty.wp.pl.html")
    assert _by_start(guessed, "Piotr Protasiewicz pojedzie").published_at == datetime(2020, 9, 28, 19, 30, tzinfo=UTC)
    assert "taken as UTC" in guessed.warnings[0]


def test_a_wire_services_the_latest_page_becomes_its_dateline_blocks() -> None:
    """AP's "The Latest" as syndicated: 13 dateline blocks between "___" rules, no time per entry, so each gets
    the page's "Nov 23, 2020 at 5:02 AM" (Central time with --tz)."""
    page = _page("hutchnews.com.html", tz=ZoneInfo("America/Chicago"))
    assert len(page.entries) == 13
    assert page.entries[-1].body_text.startswith("MADRID -- Spanish Prime Minister")  # the top block is newest
    assert page.entries[0].body_text.startswith("PORTLAND, Ore.")
    assert {e.published_at for e in page.entries} == {datetime(2020, 11, 23, 11, 2, tzinfo=UTC)}
    assert not any((e.body_text or "").startswith(("HERE'S WHAT", "Follow AP")) for e in page.entries)
    assert len({e.id for e in page.entries}) == 13


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html")))
def test_every_real_page_publishes_entries_with_unique_ids(name: str) -> None:
    """Through the same path as `newswire publish`: detected as HTML, parsed, every id unique and set."""
    page = parse_document(decode_text((PAGES / name).read_bytes()), "s")
    ids = [e.id for e in page.entries]
    assert ids and None not in ids and len(set(ids)) == len(ids)
