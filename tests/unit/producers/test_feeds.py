"""RSS 2.0 and Atom feeds parsed into raw entries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.producers.feeds import parse_feed
from newswire.producers.markdown import ParseError

DATA = Path(__file__).parents[2] / "data" / "producers"


def test_rss_items_oldest_first_with_guids_as_ids() -> None:
    """RSS items come oldest first, identified by their guid, with times in UTC."""
    page = parse_feed((DATA / "feed.rss").read_text(), "syria")
    assert page.headline == "Syria withdrawal – live"
    assert [e.id for e in page.entries] == ["syria-e1", "syria-e2", "syria-e3"]
    assert page.entries[0].published_at == datetime(2016, 3, 14, 18, 17, tzinfo=UTC)
    assert page.entries[2].headline == "Opposition welcomes the announcement"
    assert page.entries[2].url == "https://news.example.org/syria-live#e3"


def test_rss_item_content_keeps_html_and_extracts_text() -> None:
    """content:encoded stays as body_html; body_text has its text, without script code."""
    first, _, last = parse_feed((DATA / "feed.rss").read_text(), "syria").entries
    assert "<blockquote>" in (last.body_html or "")
    assert "positive push" in (last.body_text or "")
    assert "<script>" in (first.body_html or "") and "alert" not in (first.body_text or "")


def test_rss_item_without_any_text_is_skipped() -> None:
    """An item with neither title nor description publishes nothing."""
    ids = [e.id for e in parse_feed((DATA / "feed.rss").read_text(), "syria").entries]
    assert "syria-empty" not in ids


def test_atom_entries_with_offsets_become_utc() -> None:
    """Atom entries: ids from <id>, +02:00 times converted to UTC, author names kept."""
    page = parse_feed((DATA / "feed.atom").read_text(), "syria")
    assert [e.id for e in page.entries] == ["urn:newswire:syria:e1", "urn:newswire:syria:e3"]
    assert page.entries[0].published_at == datetime(2016, 3, 14, 18, 17, tzinfo=UTC)
    assert page.entries[1].author == "Live desk"


@pytest.mark.parametrize("text", [
    "<html><body><p>I am a web page</p></body></html>",
    '{"body_text": "json"}',
    "<rss version='2.0'><channel><title>t</title>",  # truncated, no items
    "just words",
])
def test_a_document_that_is_not_a_feed_is_refused(text: str) -> None:
    """Something that is not a feed (or a feed with no items) never yields entries."""
    try:
        entries = parse_feed(text, "s").entries
    except ParseError:
        return
    assert entries == []
