"""HTML live-blog pages: both layouts, parity with the Markdown form, and what real pages carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from newswire.producers.html import parse_html
from newswire.producers.ids import entry_id_for_time
from newswire.producers.markdown import ParseError, parse_markdown

DATA = Path(__file__).parents[2] / "data"


def _seed_pair() -> tuple[list, list]:  # type: ignore[type-arg]
    md = parse_markdown((DATA / "seed-liveblog.md").read_text(), "seed").entries
    page = parse_html((DATA / "producers" / "seed-liveblog.html").read_text(), "seed").entries
    return md, page


def test_html_form_of_the_seed_gives_the_markdown_entries() -> None:
    """The HTML page and the Markdown form of the same blog give the same ids, times, texts and posts."""
    md, page = _seed_pair()
    assert len(page) == len(md) == 9
    for from_md, from_html in zip(md, page, strict=True):
        assert from_html.id == from_md.id
        assert from_html.published_at == from_md.published_at
        assert from_html.body_text == from_md.body_text
        assert [(e.author, e.text, e.hashtags, e.links) for e in from_html.embeds] == \
               [(e.author, e.text, e.hashtags, e.links) for e in from_md.embeds]


def test_seed_html_drops_nav_ads_scripts_and_sidebar() -> None:
    """Navigation, ad slots, scripts and the promo sidebar never become entry text or entries."""
    _, page = _seed_pair()
    text = " ".join(e.body_text or "" for e in page)
    for junk in ("Advertisement", "Buy gold", "Business", "dataLayer", "Most read", "Not a live entry", "TV-Novosti"):
        assert junk not in text
    assert {e.published_at.strftime("%H:%M") for e in page if e.published_at} >= {"18:15", "19:16"}
    assert "17:00" not in {e.published_at.strftime("%H:%M") for e in page if e.published_at}


def test_seed_html_embedded_tweet_keeps_handle_hashtags_and_links() -> None:
    """An embedded tweet becomes an embed with its handle, hashtags, links and status URL."""
    _, page = _seed_pair()
    entry = next(e for e in page if e.published_at == datetime(2016, 3, 14, 18, 40, tzinfo=UTC))
    [embed] = entry.embeds
    assert embed.kind == "tweet" and embed.author == "@RT.com"
    assert embed.hashtags == ["Moscow", "Hmeymim", "Latakia", "Putin", "Russia", "withdrawal"]
    assert embed.links == ["http://on.rt.com/76wy"]
    assert embed.url is not None and "/status/" in embed.url


def _wrapped() -> list:  # type: ignore[type-arg]
    return parse_html((DATA / "producers" / "guardian-style-liveblog.html").read_text(), "g").entries


def test_wrapped_layout_entries_oldest_first_in_utc() -> None:
    """Block-per-entry pages: datetime attributes and "17.05 BST" texts give UTC times, oldest first."""
    entries = _wrapped()
    timed = [e for e in entries if e.published_at is not None]
    assert [e.published_at.strftime("%H:%M") for e in timed] == ["16:05", "18:17", "18:17", "19:40"]
    assert timed[0].body_text.startswith("Good afternoon.")


def test_wrapped_layout_same_minute_entries_get_ordinals_by_page_order() -> None:
    """Two entries of the same minute: the lower one on the page is older and gets ordinal 0."""
    entries = _wrapped()
    at_1817 = [e for e in entries if e.published_at == datetime(2016, 3, 14, 18, 17, tzinfo=UTC)]
    assert [e.id for e in at_1817] == [entry_id_for_time("g", at_1817[0].published_at, i) for i in (0, 1)]
    assert at_1817[0].embeds and at_1817[0].embeds[0].author == "@RT_com"


def test_pinned_copy_is_merged_and_marks_the_key_event() -> None:
    """A pinned copy at the top does not make a duplicate entry; the entry it copies becomes a key event."""
    entries = _wrapped()
    ask = [e for e in entries if "Foreign Ministry" in (e.body_text or "")]
    assert len(ask) == 1 and ask[0].key_event
    assert "Pinned" not in ask[0].body_text
    assert sum(e.key_event for e in entries) == 1


def test_updated_marker_stays_inside_its_entry() -> None:
    """"Updated at 19.52 GMT" neither starts an entry nor shows in the text; the h3 becomes the headline."""
    entries = _wrapped()
    entry = next(e for e in entries if e.headline == "UN envoy welcomes the move")
    assert entry.published_at == datetime(2016, 3, 14, 19, 40, tzinfo=UTC)
    assert "Updated" not in entry.body_text and "We hope it will have" in entry.body_text
    assert all(e.published_at is None or e.published_at.strftime("%H:%M") != "19:52" for e in entries)


def test_raw_html_keeps_scripts_and_event_attributes_for_the_processor() -> None:
    """on* attributes stay in body_html (sanitising is the processor's job); text never holds script code."""
    entry = next(e for e in _wrapped() if e.headline == "UN envoy welcomes the move")
    assert 'onclick="track(' in (entry.body_html or "")
    assert "trackBlock" not in entry.body_text


def test_entry_without_a_time_gets_a_content_id() -> None:
    """A block shaped like an entry but showing no time is kept, identified by its content."""
    entries = _wrapped()
    [timeless] = [e for e in entries if e.published_at is None]
    assert timeless.body_text == "The Kremlin has not said how many aircraft will leave."
    assert timeless.id is not None and timeless.id.startswith("c-")


def test_oldest_first_page_rolls_over_midnight_forwards() -> None:
    """A page listing entries oldest first, crossing midnight, dates the later entries the next day."""
    html = """<html><body><p>01/02/2024</p><div class="feed">
      <h3>23:50 UTC</h3><p>Late one.</p><h3>23:58 UTC</h3><p>Later.</p><h3>00:05 UTC</h3><p>After midnight.</p>
    </div></body></html>"""
    entries = parse_html(html, "s").entries
    assert [e.published_at for e in entries] == [datetime(2024, 2, 1, 23, 50, tzinfo=UTC),
                                                 datetime(2024, 2, 1, 23, 58, tzinfo=UTC),
                                                 datetime(2024, 2, 2, 0, 5, tzinfo=UTC)]


def test_newest_first_page_without_date_uses_today_and_rolls_back() -> None:
    """No date on the page: ``today`` is used, and a time later than the one above is the day before."""
    html = "<html><body><div><b>00:10 CET</b><p>New day.</p><b>23:30 CET</b><p>Night before.</p></div></body></html>"
    entries = parse_html(html, "s", today=date(2024, 5, 2)).entries
    assert [e.published_at for e in entries] == [datetime(2024, 5, 1, 22, 30, tzinfo=UTC),
                                                 datetime(2024, 5, 1, 23, 10, tzinfo=UTC)]


@pytest.mark.parametrize("html", [
    "<html><body><p>No times at all here.</p></body></html>",
    "",
    "<html><body><article><time>19:16 GMT</time></article>",  # a time with nothing under it
])
def test_page_without_entries_is_a_parse_error(html: str) -> None:
    """A page without time-marked entries with text raises ParseError instead of returning garbage."""
    with pytest.raises(ParseError):
        entries = parse_html(html, "s").entries
        if not entries:
            raise ParseError("no entries")


def test_truncated_html_parses_what_is_there() -> None:
    """A page cut off mid-tag still yields its complete entries."""
    text = (DATA / "producers" / "seed-liveblog.html").read_text()
    cut = text[: text.index("18:30 GMT") + 200]
    entries = parse_html(cut, "seed").entries
    assert {e.published_at.strftime("%H:%M") for e in entries if e.published_at} >= {"19:16", "18:40", "18:30"}


def test_unknown_zone_word_is_a_parse_error() -> None:
    """A time with a zone word newswire cannot place raises ParseError naming it."""
    with pytest.raises(ParseError, match="XYZ"):
        parse_html("<html><body><div><b>10:00 XYZ</b><p>text</p></div></body></html>", "s")


def _relative_page(markers: list[str]) -> str:
    items = "".join(f'<article class="post"><span class="when">{m}</span><p>Post {i} about the count.</p></article>'
                    for i, m in enumerate(markers))
    return ('<html><head><meta property="article:modified_time" content="2024-05-02T12:00:00+02:00"></head>'
            f"<body><main>{items}</main></body></html>")


def test_relative_times_are_resolved_against_the_pages_own_time() -> None:
    """"2h ago", "5 min fa", "il y a 3 minutes", "hace 10 minutos": before the page's 10:00Z."""
    entries = parse_html(_relative_page(["2h ago", "5 min fa", "il y a 3 minutes", "hace 10 minutos"]), "s").entries
    assert {e.body_text: e.published_at.isoformat() for e in entries} == {
        "Post 0 about the count.": "2024-05-02T08:00:00+00:00",
        "Post 1 about the count.": "2024-05-02T09:55:00+00:00",
        "Post 2 about the count.": "2024-05-02T09:57:00+00:00",
        "Post 3 about the count.": "2024-05-02T09:50:00+00:00",
    }


def test_a_duration_is_not_a_time() -> None:
    """"5 min" alone (no "ago", "fa", "il y a"…) is not an entry time."""
    with pytest.raises(ParseError):
        parse_html(_relative_page(["5 min", "10 minutes"]), "s")


def test_zone_less_times_take_the_offset_the_page_states() -> None:
    """A page stating +02:00 in its meta data and showing "14:05": 12:05Z, and no warning."""
    html = ('<html><head><meta property="article:published_time" content="2024-05-02T09:00:00+02:00"></head><body>'
            '<div class="live"><h3>14:05</h3><p>Polls close.</p><h3>13:50</h3><p>Turnout is high.</p></div></body>'
            "</html>")
    page = parse_html(html, "s")
    assert [e.published_at.isoformat() for e in page.entries] == ["2024-05-02T11:50:00+00:00",
                                                                   "2024-05-02T12:05:00+00:00"]
    assert page.warnings == []


def test_an_ambiguous_zone_word_takes_the_pages_stated_offset() -> None:
    """"(IST)" on a page stating +05:30 is India's time, not Irish Standard Time."""
    html = ('<html><head><meta property="article:published_time" content="2023-11-02T10:00:00+05:30"></head><body>'
            '<div class="live"><h3>21:06 (IST)</h3><p>It is a wrap.</p><h3>20:50 (IST)</h3><p>Six!</p></div>'
            "</body></html>")
    assert [e.published_at.isoformat() for e in parse_html(html, "s").entries] == [
        "2023-11-02T15:20:00+00:00", "2023-11-02T15:36:00+00:00"]


def test_zone_less_times_with_no_evidence_warn_and_tz_reads_them() -> None:
    """No zone anywhere: UTC with a warning naming --tz; with tz=Europe/Rome (summer) 14:05 is 12:05Z."""
    from zoneinfo import ZoneInfo

    html = ('<html><body><p>2 May 2024</p><div class="live"><h3>14:05</h3><p>Polls close.</p></div></body>'
            "</html>")
    guessed = parse_html(html, "s")
    assert guessed.entries[0].published_at.isoformat() == "2024-05-02T14:05:00+00:00"
    assert "taken as UTC" in guessed.warnings[0] and "--tz" in guessed.warnings[0]
    read = parse_html(html, "s", tz=ZoneInfo("Europe/Rome"))
    assert read.entries[0].published_at.isoformat() == "2024-05-02T12:05:00+00:00" and read.warnings == []
