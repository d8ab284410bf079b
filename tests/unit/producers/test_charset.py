"""Encodings of pages and feeds as publishers serve them: declared, undeclared, UTF-16; no mojibake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newswire.producers.charset import UndecodableError, decode_document
from newswire.producers.detect import decode_text, parse_document

FEEDS = Path(__file__).parents[2] / "data" / "real" / "feeds"
PORTUGUESE = {
    "dicas-l.com.br.iso-8859-1.xml": ("Dicas-L: Dicas técnicas de Linux e Software Livre", "Expansão de Parâmetros"),
    "tjrs.jus.br.iso-8859-1.xml": ("Tribunal de Justiça do Estado do Rio Grande do Sul", "prevenção"),
    "inovacaotecnologica.com.br.iso-8859-1.xml": ("RSS Feed do Site Inovação Tecnológica", "três cores primárias"),
}


def _without_prolog(data: bytes) -> bytes:
    return re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)


@pytest.mark.parametrize("name", sorted(PORTUGUESE))
def test_real_portuguese_feeds_declaring_iso_8859_1_read_without_mojibake(name: str) -> None:
    """Three real Portuguese feeds whose XML prolog declares ISO-8859-1."""
    data = (FEEDS / name).read_bytes()
    decoded = decode_document(data)
    assert (decoded.source, decoded.encoding) == ("xml", "cp1252")
    page = parse_document(decoded.text, "s")
    title, words = PORTUGUESE[name]
    assert page.headline == title
    assert words in page.entries[0].body_text + (page.entries[0].headline or "")


@pytest.mark.parametrize("name", sorted(PORTUGUESE))
def test_the_same_feeds_without_a_declaration_are_detected_as_western(name: str) -> None:
    """Latin-1 with no declaration: detected, and read as windows-1252 rather than 1250 ("informaçőes")."""
    data = _without_prolog((FEEDS / name).read_bytes())
    decoded = decode_document(data)
    assert decoded.source == "detected"
    title, words = PORTUGUESE[name]
    page = parse_document(decoded.text, "s")
    assert page.headline == title and words in page.entries[0].body_text + (page.entries[0].headline or "")
    assert "ő" not in decoded.text and "Ã" not in decoded.text


@pytest.mark.parametrize("bom_codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_feeds_with_a_byte_order_mark_are_read(bom_codec: str) -> None:
    """A feed re-encoded as UTF-16/32 with its mark: the mark wins over the prolog's stale ISO-8859-1."""
    text = (FEEDS / "tjrs.jus.br.iso-8859-1.xml").read_bytes().decode("latin-1")
    data = text.encode(bom_codec)
    if bom_codec == "utf-16-be":
        data = b"\xfe\xff" + data
    page = parse_document(decode_text(data), "s")
    assert page.headline == "Tribunal de Justiça do Estado do Rio Grande do Sul"


def test_the_http_header_charset_comes_first() -> None:
    """The Content-Type charset beats a meta tag that disagrees."""
    body = '<html><head><meta charset="utf-8"></head><body><p>Informações úteis</p></body></html>'
    decoded = decode_document(body.encode("cp1252"), content_type="text/html; charset=ISO-8859-1")
    assert decoded.source == "http" and "Informações úteis" in decoded.text


def test_a_meta_charset_declares_a_page() -> None:
    """A windows-1252 page with curly quotes and a meta tag."""
    body = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
            "<body><p>\u201cLa situación es grave\u201d, dijo el ministro \u2014 a las 19:16</p></body></html>")
    decoded = decode_document(body.encode("cp1252"))
    assert decoded.source == "meta" and "\u201cLa situación es grave\u201d" in decoded.text


def test_a_wrong_declaration_is_passed_over() -> None:
    """A page that says UTF-8 and is Latin-1 is read by the next source rather than refused."""
    body = '<html><head><meta charset="utf-8"></head><body><p>São Paulo: eleição confirmada</p></body></html>'
    decoded = decode_document(body.encode("latin-1"))
    assert decoded.source == "detected" and "São Paulo: eleição confirmada" in decoded.text


def test_utf8_without_a_declaration_stays_utf8() -> None:
    decoded = decode_document("Zürich — 19:16 GMT".encode())
    assert (decoded.encoding, decoded.source) == ("utf-8", "utf-8")


def test_nothing_fits_is_an_error_naming_what_was_tried() -> None:
    with pytest.raises(UndecodableError, match="xml says utf-8"):
        decode_document(b'<?xml version="1.0" encoding="utf-8"?>' + bytes(range(256)) * 8)


@pytest.mark.parametrize("name", ["ilgiornale.it.xml", "bbc.co.uk.xml"])
def test_real_utf8_feeds_give_one_entry_per_item(name: str) -> None:
    """il Giornale (Italian) and BBC News feeds: every item with text is an entry, accents intact."""
    data = (FEEDS / name).read_bytes()
    expected = data.count(b"<item>") + data.count(b"<item ")
    page = parse_document(decode_text(data), "s")
    assert len(page.entries) == expected and all(e.id for e in page.entries)
    assert "Ã" not in "".join(e.body_text or "" for e in page.entries)
