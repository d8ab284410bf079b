"""RSS 2.0 and Atom feeds (feedparser): pure parsing, no I/O.

Each feed item becomes a raw entry: its guid/id (or link) as the entry id, so an edited
item becomes an update; ``published``/``updated`` as ``published_at``; the content (or
summary) as ``body_html`` and its text as ``body_text``. Items come back oldest first.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from newswire.schemas import RawEntry

from .markdown import ParsedPage, ParseError

__all__ = ["parse_feed", "looks_like_feed"]

_FEED_ROOT = re.compile(r"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)


def looks_like_feed(text: str) -> bool:
    """True when the document's root element is ``<rss>``, Atom ``<feed>`` or RSS 1.0 ``<rdf:RDF>``."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if not head.startswith("<"):
        return False
    without_prolog = re.sub(r"^(<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>|\s)+", "", head, flags=re.DOTALL)
    return bool(_FEED_ROOT.match(without_prolog))


def _text_of_html(fragment: str) -> str:
    if "<" not in fragment:
        return " ".join(fragment.split())
    tree = LexborHTMLParser(fragment)
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    body = tree.body
    return " ".join((body.text(separator=" ") if body is not None else "").split())


def _when(item: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _body_html(item: Any) -> str:
    contents = item.get("content") or []
    for content in contents:
        if content.get("value"):
            return str(content["value"])
    return str(item.get("summary") or item.get("description") or "")


def parse_feed(text: str, story: str) -> ParsedPage:
    """Parse an RSS or Atom document into raw entries, oldest first.

    Raises :class:`ParseError` when the document is not a feed or has no item with text.
    """
    if not looks_like_feed(text):
        raise ParseError("not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)")
    parsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo") and not parsed.entries:
        raise ParseError(f"not a readable feed: {parsed.get('bozo_exception')}")
    drafts: list[tuple[datetime | None, int, RawEntry]] = []
    for index, item in enumerate(parsed.entries):
        html = _body_html(item)
        text_body = _text_of_html(html)
        title = " ".join(str(item.get("title") or "").split()) or None
        if not text_body and not title:
            continue  # an item with no text at all: nothing to publish
        entry_id = str(item.get("id") or item.get("link") or "") or None
        drafts.append((_when(item), index, RawEntry(
            id=entry_id[:200] if entry_id else None,
            body_text=text_body or title,
            body_html=html or None,
            headline=title[:2000] if title else None,
            url=(str(item.get("link"))[:4000] if item.get("link") else None),
            author=(str(item.get("author"))[:500] if item.get("author") else None),
            published_at=_when(item),
        )))
    if not drafts and not parsed.entries and parsed.get("bozo"):
        raise ParseError("not a readable feed")
    # oldest first: by time, items without a time keep the feed's order (feeds list newest first)
    drafts.sort(key=lambda d: (d[0] is None, d[0] or datetime.min.replace(tzinfo=UTC), -d[1]))
    headline = " ".join(str(parsed.feed.get("title") or "").split()) or None
    return ParsedPage(headline=headline, entries=[d[2] for d in drafts])
