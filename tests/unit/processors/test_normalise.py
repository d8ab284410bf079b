"""Normalisation, sanitising and fingerprints of raw entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newswire.processors.normalise import (
    clean_url,
    fingerprint,
    html_to_text,
    normalise,
    normalise_text,
    sanitise_html,
)
from newswire.producers.markdown import parse_markdown
from newswire.schemas import Embed, RawEntry

SEED = Path(__file__).parents[2] / "data" / "seed-liveblog.md"


@pytest.mark.parametrize(
    "dirty",
    [
        '<p>hi<script>alert(1)</script></p>',
        '<p onclick="alert(1)">hi</p>',
        '<img src="https://e.com/x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="  javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        '<math><mtext><script>alert(1)</script></mtext></math>',
        '<iframe src="javascript:alert(1)"></iframe>',
        '<body onload="alert(1)">x</body>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<p>x<!-- <script>alert(1)</script> --></p>',
        '<scr<script>ipt>alert(1)</script>',
    ],
)
def test_sanitise_html_removes_script_vectors(dirty: str) -> None:
    """No script, handler, javascript:/data: URL, SVG or style survives sanitising."""
    clean = sanitise_html(dirty).lower()
    for forbidden in ("<script", "onload", "onerror", "onclick", "javascript:", "data:", "<svg", "<math",
                      "<iframe", "style=", "<!--"):
        assert forbidden not in clean, (forbidden, clean)


def test_sanitise_html_keeps_content_and_cleans_links() -> None:
    """Allowed markup and text stay; links lose tracking parameters and gain rel=noopener."""
    clean = sanitise_html('<p><em>Hello</em> <a href="HTTPS://Ex.COM/a?utm_source=x&amp;id=3">link</a></p>')
    assert clean == '<p><em>Hello</em> <a href="https://ex.com/a?id=3" rel="noopener noreferrer">link</a></p>'


def test_html_to_text_keeps_paragraphs_and_decodes_entities() -> None:
    """Block elements become paragraphs, <br> a line break, entities characters, scripts nothing."""
    html = "<p>Hello&nbsp;<b>world</b> &amp; co</p><script>x()</script><p>second<br>line</p>"
    assert html_to_text(html) == "Hello world & co\n\nsecond\nline"


def test_normalise_text_nfc_and_whitespace() -> None:
    """Decomposed accents compose; spaces, zero-width characters and blank lines collapse."""
    assert normalise_text("  Cafe\u0301 \t au\u00a0lait\u200b\r\n\n\n\n  next  \n") == "Café au lait\n\nnext"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a?utm_source=x&b=1&fbclid=2", "http://example.com/a?b=1"),
        ("https://e.com/a?gclid=1&utm_medium=s", "https://e.com/a"),
        ("https://e.com/path?q=a+b&page=2#top", "https://e.com/path?q=a+b&page=2#top"),
        ("https://e.com:8443", "https://e.com:8443/"),
        ("  https://on.rt.com/76wy ", "https://on.rt.com/76wy"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("http://[::1", "http://[::1"),
        ("not a url", "not a url"),
    ],
)
def test_clean_url(url: str, expected: str) -> None:
    """Tracking parameters go, scheme/host lower-case; anything unparseable is returned as is."""
    assert clean_url(url) == expected


def test_normalise_derives_text_from_sanitised_html() -> None:
    """An HTML-only entry gets body_text from its sanitised HTML, never from a script."""
    entry = RawEntry(id="a", body_html="<p>Vote  counting<script>steal()</script> begins</p><p>More</p>")
    out = normalise(entry)
    assert out.body_html == "<p>Vote  counting begins</p><p>More</p>"
    assert out.body_text == "Vote counting begins\n\nMore"


def test_normalise_derives_html_from_text() -> None:
    """A text-only entry gets escaped paragraphs as body_html."""
    out = normalise(RawEntry(id="a", body_text="a < b\n\nsecond"))
    assert out.body_html == "<p>a &lt; b</p><p>second</p>"


def test_normalise_keeps_given_text_when_both_present() -> None:
    """When both bodies are given the producer's text is kept, normalised."""
    out = normalise(RawEntry(id="a", body_text=" @RT.com:  post ", body_html="<blockquote>post</blockquote>"))
    assert out.body_text == "@RT.com: post"


def test_normalise_rejects_html_that_sanitises_to_nothing() -> None:
    """An entry of only a script is an error, not an empty entry."""
    with pytest.raises(ValueError, match="no text"):
        normalise(RawEntry(id="a", body_html="<script>alert(1)</script>"))


def test_normalise_times_to_utc() -> None:
    """Aware times convert to UTC; naive times are taken as UTC."""
    moscow = datetime(2016, 3, 14, 21, 16, tzinfo=timezone(timedelta(hours=3)))
    out = normalise(RawEntry(id="a", body_text="x", published_at=moscow))
    assert out.published_at == datetime(2016, 3, 14, 18, 16, tzinfo=UTC)
    assert out.published_at is not None and out.published_at.utcoffset() == timedelta(0)
    naive = normalise(RawEntry(id="a", body_text="x", published_at=datetime(2016, 3, 14, 18, 16)))  # noqa: DTZ001
    assert naive.published_at == datetime(2016, 3, 14, 18, 16, tzinfo=UTC)


def test_normalise_cleans_links_everywhere() -> None:
    """The url, embed links and URLs in the text lose tracking parameters."""
    entry = RawEntry(
        id="a",
        body_text="see https://e.com/x?utm_source=tw&id=1 now",
        url="https://E.com/live?fbclid=1",
        embeds=[Embed(text="t https://e.com/y?gclid=2", links=["https://e.com/y?gclid=2"], hashtags=["#Sy"])],
    )
    out = normalise(entry)
    assert out.body_text == "see https://e.com/x?id=1 now"
    assert out.url == "https://e.com/live"
    assert out.embeds[0].links == ["https://e.com/y"]
    assert out.embeds[0].text == "t https://e.com/y"
    assert out.embeds[0].hashtags == ["Sy"]


def test_normalise_does_not_modify_input() -> None:
    """The given entry is left as it was."""
    entry = RawEntry(id="a", body_text="  spaced  ")
    normalise(entry)
    assert entry.body_text == "  spaced  "


def test_fingerprint_equal_for_equal_content() -> None:
    """Whitespace, NFC and tracking-link differences give the same fingerprint after normalising."""
    one = normalise(RawEntry(id="a", body_text="Cafe\u0301  opens https://e.com/?utm_source=x"))
    two = normalise(RawEntry(id="b", body_text="Café opens https://e.com/"))
    assert fingerprint(one) == fingerprint(two)


def test_fingerprint_changes_with_content() -> None:
    """An edited text or headline changes the fingerprint."""
    base = normalise(RawEntry(id="a", body_text="The Syrian opposition has welcomed the announcement"))
    edited = normalise(RawEntry(id="a", body_text="The Syrian opposition has cautiously welcomed it"))
    assert fingerprint(base) != fingerprint(edited)
    assert fingerprint(base) != fingerprint(base.model_copy(update={"headline": "New"}))


def test_fingerprint_is_stable_across_processes() -> None:
    """The fingerprint is a fixed value, not a per-process salted hash."""
    published = datetime(2016, 3, 14, 18, 15, tzinfo=UTC)
    entry = RawEntry(id="a", body_text="Putin orders withdrawal", published_at=published)
    assert fingerprint(entry) == "c4acfb591616f20f6cde56281c481c38"


def test_normalise_seed_entries_is_idempotent() -> None:
    """Normalising a normalised seed entry changes nothing."""
    for entry in parse_markdown(SEED.read_text(encoding="utf-8"), "syria").entries:
        once = normalise(entry)
        assert normalise(once) == once
        assert "<script" not in once.body_html
