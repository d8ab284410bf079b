"""Format detection and the bad input every producer must survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.producers.detect import DecodeError, Format, decode_text, detect_format, parse_document
from newswire.producers.markdown import ParseError

DATA = Path(__file__).parents[2] / "data"


@pytest.mark.parametrize(("name", "fmt"), [
    ("seed-liveblog.md", Format.MARKDOWN),
    ("producers/seed-liveblog.html", Format.HTML),
    ("producers/guardian-style-liveblog.html", Format.HTML),
    ("producers/feed.rss", Format.FEED),
    ("producers/feed.atom", Format.FEED),
    ("producers/entries.ndjson", Format.NDJSON),
])
def test_each_fixture_is_detected_and_parsed(name: str, fmt: Format) -> None:
    """Every supported format is recognised from its content alone and yields entries."""
    text = (DATA / name).read_text()
    assert detect_format(text) is fmt
    assert parse_document(text, "s").entries


def test_a_byte_order_mark_that_lies_is_refused_with_the_reason() -> None:
    """Truly undecodable input (a UTF-16 mark before an odd byte count) raises DecodeError saying why."""
    with pytest.raises(DecodeError, match="byte-order mark says utf-16"):
        decode_text(b"\xff\xfeh\x00i\x00\x00")


def test_binary_data_is_refused() -> None:
    """Bytes no encoding fits (NULs and control bytes throughout) are refused, not read as some code page."""
    with pytest.raises(DecodeError):
        decode_text(bytes(range(256)) * 8)


def test_nul_bytes_are_refused() -> None:
    """A binary file (NUL bytes) is not a document."""
    with pytest.raises(DecodeError, match="NUL"):
        decode_text(b"GIF89a\x01\x00\x01\x00\x00\x00\x00")


def test_fifty_megabyte_file_is_refused_before_parsing() -> None:
    """A 50 MB document is refused by size, without being decoded or parsed."""
    with pytest.raises(DecodeError, match="over the limit"):
        decode_text(b"a" * (50 * 1024 * 1024))


def test_bom_is_dropped() -> None:
    """A UTF-8 byte-order mark does not hide the format."""
    assert detect_format(decode_text("\ufeff<?xml version='1.0'?><rss></rss>".encode())) is Format.FEED


@pytest.mark.parametrize("text", ["plain words, no entries", "", "   \n  "])
def test_unknown_format_is_a_parse_error(text: str) -> None:
    """Text that is none of the formats raises ParseError instead of publishing anything."""
    with pytest.raises(ParseError):
        parse_document(text, "s")


def test_ndjson_with_a_bad_line_names_it() -> None:
    """One bad NDJSON line refuses the file, naming the line, so nothing is half-published."""
    with pytest.raises(ParseError, match="line 2"):
        parse_document('{"body_text": "ok"}\n{"body_text": 5}\n', "s")


def test_html_with_scripts_and_event_handlers_does_not_choke() -> None:
    """Hostile HTML (scripts, on* attributes, unclosed tags) parses; the raw HTML is kept for the processor."""
    html = ('<html><body onload="evil()"><div><b>10:00 GMT</b><p onmouseover="steal()">Real text'
            '<script>document.write("<p>11:00 GMT</p>")</script><img src=x onerror="alert(1)"><div><span>')
    [entry] = parse_document(html, "s").entries
    assert entry.body_text == "Real text"
    assert "onerror" in (entry.body_html or "") and "onmouseover" in (entry.body_html or "")


def test_ingest_settings_are_read_once_from_their_variables() -> None:
    """The ingest API's token, port, body limit and allowed stories come in one object from its variables."""
    from newswire.producers.ingest import IngestSettings

    settings = IngestSettings.from_env({"NEWSWIRE_INGEST_TOKEN": "t0ken", "NEWSWIRE_INGEST_PORT": "9000",
                                        "NEWSWIRE_INGEST_MAX_BODY_BYTES": "2048",
                                        "NEWSWIRE_INGEST_STORIES": "syria, election", "KAFKA_BOOTSTRAP_SERVERS": "k:1"})
    assert (settings.token, settings.port, settings.max_body_bytes) == ("t0ken", 9000, 2048)
    assert settings.stories == frozenset({"syria", "election"}) and settings.kafka.bootstrap == "k:1"
    assert IngestSettings.from_env({}).stories is None and IngestSettings.from_env({}).token == ""
