"""Which kind of document a file or response is, and its parser: Markdown page, HTML page, RSS/Atom, NDJSON."""

from __future__ import annotations

from datetime import date, tzinfo
from enum import StrEnum

from .charset import UndecodableError, decode_document
from .feeds import looks_like_feed, parse_feed
from .html import looks_like_html, parse_html
from .markdown import ParsedPage, ParseError, looks_like_markdown_liveblog, parse_markdown
from .ndjson import looks_like_ndjson, parse_ndjson

__all__ = ["Format", "DecodeError", "decode_text", "detect_format", "parse_document"]

#: Larger documents are refused before parsing (a live-blog page is well under 5 MB).
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class Format(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    FEED = "feed"
    NDJSON = "ndjson"


class DecodeError(ParseError):
    """The bytes are not a text document newswire reads (too large, not UTF-8, binary)."""


def decode_text(data: bytes, *, content_type: str | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The text of a document in any encoding (:mod:`.charset`: BOM, HTTP charset, XML prolog, meta tag, UTF-8,
    detection), or :class:`DecodeError` saying why not (too large, no encoding fits, binary)."""
    if len(data) > max_bytes:
        raise DecodeError(f"the document is {len(data)} bytes, over the limit of {max_bytes}")
    try:
        text = decode_document(data, content_type=content_type).text
    except UndecodableError as exc:
        raise DecodeError(str(exc)) from None
    if "\x00" in text:
        raise DecodeError("the document contains NUL bytes; it is not a text document")
    return text


def detect_format(text: str, *, hint: str | None = None) -> Format:
    """The format of a document from its content (``hint``: a file name or a Content-Type, used on a tie)."""
    if looks_like_feed(text):
        return Format.FEED
    if looks_like_html(text):
        return Format.HTML
    if looks_like_ndjson(text):
        return Format.NDJSON
    if looks_like_markdown_liveblog(text):
        return Format.MARKDOWN
    low = (hint or "").lower()
    if low.endswith((".html", ".htm")) or "text/html" in low:
        return Format.HTML
    if text.lstrip().startswith("<"):
        return Format.HTML
    raise ParseError("unknown format: not a Markdown or HTML live-blog page, an RSS/Atom feed, or NDJSON")


def parse_document(text: str, story: str, *, hint: str | None = None, today: date | None = None,
                   tz: tzinfo | None = None) -> ParsedPage:
    """Detect the format and parse; NDJSON with a bad line raises :class:`ParseError` naming the line.
    ``tz``: the zone of times an HTML page shows without one (see :func:`.html.parse_html`)."""
    fmt = detect_format(text, hint=hint)
    if fmt is Format.FEED:
        return parse_feed(text, story)
    if fmt is Format.HTML:
        return parse_html(text, story, today=today, tz=tz)
    if fmt is Format.MARKDOWN:
        return parse_markdown(text, story, today=today)
    page = parse_ndjson(text)
    if page.errors:
        first = page.errors[0]
        raise ParseError(f"line {first.line}: {first.message}"
                         + (f" (and {len(page.errors) - 1} more bad lines)" if len(page.errors) > 1 else ""))
    if not page.entries:
        raise ParseError("no entries in the NDJSON document")
    return page
