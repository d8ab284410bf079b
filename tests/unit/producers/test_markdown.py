"""The Markdown live-blog parser, on the seed page and on edge cases."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from newswire.producers.markdown import ParseError, parse_markdown

SEED = (Path(__file__).parents[2] / "data" / "seed-liveblog.md").read_text("utf-8")


def test_seed_has_nine_entries_oldest_first_in_utc():
    """Nine entries, 18:15 to 19:16 GMT on 14 March 2016, oldest first."""
    page = parse_markdown(SEED, "syria")
    times = [e.published_at for e in page.entries]
    assert len(times) == 9
    assert times == sorted(times)
    assert times[0] == datetime(2016, 3, 14, 18, 15, tzinfo=UTC)
    assert times[-1] == datetime(2016, 3, 14, 19, 16, tzinfo=UTC)
    assert page.headline == "Russia to start withdrawal from Syria Live updates"


def test_ids_are_stable_and_survive_an_edit():
    """Parsing twice gives the same ids; editing the text keeps them."""
    first = [e.id for e in parse_markdown(SEED, "syria").entries]
    edited = SEED.replace("has welcomed the announcement", "has cautiously welcomed the announcement")
    assert first == [e.id for e in parse_markdown(SEED, "syria").entries]
    assert first == [e.id for e in parse_markdown(edited, "syria").entries]
    assert len(set(first)) == 9
    assert first != [e.id for e in parse_markdown(SEED, "other-story").entries]


def test_embedded_posts_keep_handle_text_hashtags_and_links():
    """The 18:40 entry is an embedded post by @RT.com with six hashtags and a link."""
    entry = next(e for e in parse_markdown(SEED, "syria").entries if e.published_at.minute == 40)
    (post,) = entry.embeds
    assert post.author == "@RT.com"
    assert post.hashtags == ["Moscow", "Hmeymim", "Latakia", "Putin", "Russia", "withdrawal"]
    assert post.links == ["http://on.rt.com/76wy"]
    assert "will keep its #Hmeymim airbase" in post.text


def test_paragraphs_split_by_a_blank_line_mid_sentence_are_joined():
    """"…at Moscow's initiative,\\n\\nthe two leaders…" reads as one paragraph."""
    entry = next(e for e in parse_markdown(SEED, "syria").entries if e.published_at.minute == 20)
    assert "at Moscow's initiative, the two leaders have agreed" in entry.body_text
    quote = next(e for e in parse_markdown(SEED, "syria").entries if e.published_at.minute == 51)
    assert "in a routine mode. They are to be safely protected" in quote.body_text


def test_quotes_and_paragraphs_are_kept_in_html():
    """Italic quotes become <em>, paragraphs <p>; nothing is lost."""
    entry = next(e for e in parse_markdown(SEED, "syria").entries if e.published_at.minute == 16)
    assert entry.body_html.count("<p>") == 2
    assert "<em>&quot;If there is seriousness" in entry.body_html or '<em>"If there is seriousness' in entry.body_html
    assert "Salim al-Muslat" in entry.body_text


def test_other_time_zones_resolve_to_utc_and_midnight_rolls_back_a_day():
    """13:05 BST is 12:05 UTC; a time later than the one above it on a newest-first page is the day before."""
    page = parse_markdown("01/07/2026\n\n**00:10 BST**\n\nAfter midnight.\n\n**23:50 BST**\n\nBefore midnight.\n",
                          "s")
    assert [e.published_at for e in page.entries] == [
        datetime(2026, 6, 30, 22, 50, tzinfo=UTC), datetime(2026, 6, 30, 23, 10, tzinfo=UTC)]


def test_two_entries_in_the_same_minute_get_distinct_stable_ids():
    """The order among entries of one minute is part of the id, counted from the oldest."""
    doc = "**10:00 GMT**\n\nSecond.\n\n**10:00 GMT**\n\nFirst.\n"
    entries = parse_markdown(doc, "s", today=date(2026, 1, 1)).entries
    assert [e.body_text for e in entries] == ["First.", "Second."]
    newer = parse_markdown("**10:00 GMT**\n\nThird.\n\n" + doc, "s", today=date(2026, 1, 1)).entries
    assert [e.id for e in newer[:2]] == [e.id for e in entries]


@pytest.mark.parametrize("doc", ["", "just some text\nwith no times", "**25:61 GMT**\n\ntext", "**10:00 XYZ**\n\nx",
                                 "a\x00b **10:00 GMT**"])
def test_documents_that_are_not_live_blogs_raise_parse_error(doc):
    """No entries, impossible times, unknown zones and binary junk give a ParseError, nothing else."""
    with pytest.raises(ParseError):
        parse_markdown(doc, "s", today=date(2026, 1, 1))


def test_markers_with_nothing_under_them_are_skipped():
    """An empty entry is not published."""
    entries = parse_markdown("**10:00 GMT**\n\n-\n\n**09:00 GMT**\n\nText.\n", "s", today=date(2026, 1, 1)).entries
    assert [e.body_text for e in entries] == ["Text."]
