"""A live page's own machine-readable data: schema.org ``LiveBlogPosting`` and the times it states. Pure.

Most large publishers embed ``LiveBlogPosting`` (JSON-LD, sometimes microdata) for search
engines' "live" label. Each ``liveBlogUpdate`` carries a headline, an ``articleBody``,
``datePublished``/``dateModified`` with their UTC offsets, an author and often a ``url`` or
``@id``: the most reliable source of a page's entries. :func:`live_blog` reads it;
:func:`stated_offsets` collects the UTC offsets the page states anywhere (structured data,
``<time datetime>``, ``article:published_time``-like meta tags), the evidence for the zone of
times the page shows without one.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["LiveBlog", "Update", "live_blog", "parse_iso", "stated_day", "stated_offsets"]

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
#: A time label some publishers put before an update's headline: "19:02(IST) ", "18:30 GMT - ".
TIME_LABEL = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s*(?:\(\s*[A-Za-z]{2,5}\s*\)|[A-Za-z]{2,5}\b)?\s*[-–—|:,]?\s*")
#: Placeholders for embeds that only the publisher's own renderer fills: "[[ge:rep-locali:repubblica:419430007]]".
_PLACEHOLDER = re.compile(r"\[\[[^\[\]]{1,200}\]\]")
_META_TIMES = frozenset({"article:published_time", "article:modified_time", "og:updated_time", "datepublished",
                         "datemodified", "date", "pubdate", "publish-date", "dc.date", "dcterms.created",
                         "dcterms.modified"})  # lower case: meta names are compared lower-cased


@dataclass
class Update:
    """One ``liveBlogUpdate``, its fields cleaned: entities decoded, placeholders and time labels removed."""

    id: str | None
    url: str | None
    headline: str | None
    author: str | None
    body: str  # text, or HTML when ``body_is_html``
    body_is_html: bool
    published_at: datetime | None
    modified_at: datetime | None


@dataclass
class LiveBlog:
    headline: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    updates: list[Update] = field(default_factory=list)
    #: the microdata element marked LiveBlogPosting, whose children are the visible updates (None for JSON-LD)
    container: LexborNode | None = None


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 date-time with its offset, or None (a bare date or a time without a zone says too little)."""
    if not isinstance(value, str) or "T" not in value and " " not in value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return ""
    return html_lib.unescape(html_lib.unescape(value)) if "&" in value else value


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_author(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    name = " ".join(_text(value).split())
    return name[:500] or None


def _clean_headline(value: str) -> str | None:
    text = " ".join(TIME_LABEL.sub("", _text(value), count=1).split())
    return text[:2000] or None


def _clean_body(value: str) -> tuple[str, bool]:
    body = _PLACEHOLDER.sub("", _text(value)).replace("\u200b", "").strip()
    return body, bool(re.search(r"<[a-zA-Z][^>]*>", body))


def _update(item: dict[str, Any]) -> Update | None:
    body, is_html = _clean_body(item.get("articleBody") or item.get("text") or "")
    headline = _clean_headline(item.get("headline") or item.get("name") or "")
    if not body and not headline:
        return None
    url = item.get("url") if isinstance(item.get("url"), str) else None
    identifier = item.get("@id") if isinstance(item.get("@id"), str) else None
    return Update(id=identifier or url, url=url, headline=headline, author=_author(item.get("author")), body=body,
                  body_is_html=is_html, published_at=parse_iso(item.get("datePublished")),
                  modified_at=parse_iso(item.get("dateModified")))


def _json_documents(tree: LexborHTMLParser) -> list[Any]:
    documents = []
    for script in tree.css('script[type="application/ld+json"]'):
        raw = script.text() or ""
        try:
            documents.append(json.loads(raw))
        except ValueError:
            try:  # hand-written JSON-LD often has trailing commas
                documents.append(json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False))
            except ValueError:
                continue
    return documents


def _is_type(item: dict[str, Any], name: str) -> bool:
    kind = item.get("@type")
    return kind == name or (isinstance(kind, list) and name in kind)


def _find_postings(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [found for item in value for found in _find_postings(item)]
    if not isinstance(value, dict):
        return []
    if _is_type(value, "LiveBlogPosting"):
        return [value]
    return _find_postings(value.get("@graph") or value.get("mainEntity") or [])


def _from_json_ld(tree: LexborHTMLParser) -> LiveBlog | None:
    postings = [p for document in _json_documents(tree) for p in _find_postings(document)]
    if not postings:
        return None
    posting = max(postings, key=lambda p: len(p.get("liveBlogUpdate") or []) if isinstance(
        p.get("liveBlogUpdate"), list) else 1)
    raw_updates = posting.get("liveBlogUpdate") or []
    if isinstance(raw_updates, dict):
        raw_updates = [raw_updates]
    updates = [u for u in (_update(item) for item in raw_updates if isinstance(item, dict)) if u is not None]
    return LiveBlog(headline=_clean_headline(posting.get("headline") or ""),
                    published_at=parse_iso(posting.get("datePublished")),
                    modified_at=parse_iso(posting.get("dateModified")), updates=updates)


def _microdata_value(node: LexborNode) -> str:
    attrs = node.attributes
    for name in ("content", "datetime", "href", "src"):
        if attrs.get(name):
            return attrs[name] or ""
    return node.text(deep=True) or ""


def _microdata_item(scope: LexborNode) -> dict[str, Any]:
    """The properties of one itemscope (not those of items nested in it), nested items as dicts."""
    item: dict[str, Any] = {}
    for node in scope.css("[itemprop]"):
        owner = node.parent
        while owner is not None and owner.mem_id != scope.mem_id and "itemscope" not in owner.attributes:
            owner = owner.parent
        if owner is None or owner.mem_id != scope.mem_id:
            continue  # belongs to a nested item
        name = node.attributes.get("itemprop") or ""
        value: Any = _microdata_item(node) if "itemscope" in node.attributes else _microdata_value(node)
        item.setdefault(name, value)
    return item


def _from_microdata(tree: LexborHTMLParser) -> LiveBlog | None:
    posting = tree.css_first('[itemtype*="schema.org/LiveBlogPosting"]')
    if posting is None:
        return None
    own = _microdata_item(posting)
    updates = [u for u in (_update(_microdata_item(node)) for node in posting.css('[itemprop~="liveBlogUpdate"]'))
               if u is not None]
    return LiveBlog(headline=_clean_headline(own.get("headline") or ""), published_at=parse_iso(
        own.get("datePublished")), modified_at=parse_iso(own.get("dateModified")), updates=updates,
        container=None if updates else posting)


def live_blog(tree: LexborHTMLParser) -> LiveBlog | None:
    """The page's ``LiveBlogPosting``: JSON-LD first, then microdata; None when the page has neither."""
    found = _from_json_ld(tree)
    if found is not None and found.updates:
        return found
    return _from_microdata(tree) or found


def _offsets_in(value: Any, counter: Counter[timedelta]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, str) and key.startswith(("date", "coverage", "start", "end", "upload")):
                when = parse_iso(inner)
                if when is not None and when.utcoffset():
                    counter[when.utcoffset()] += 1  # type: ignore[index]
            else:
                _offsets_in(inner, counter)
    elif isinstance(value, list):
        for inner in value:
            _offsets_in(inner, counter)


def stated_offsets(tree: LexborHTMLParser) -> Counter[timedelta]:
    """UTC offsets other than zero that the page states with its times (structured data, meta tags,
    ``<time datetime>``), with how often. Zero is left out: many sites write every time in UTC ("Z")
    whatever zone they display, so a zero offset is no evidence of the displayed zone."""
    counter: Counter[timedelta] = Counter()
    for document in _json_documents(tree):
        _offsets_in(document, counter)
    for meta in tree.css("meta[content]"):
        key = (meta.attributes.get("property") or meta.attributes.get("name") or meta.attributes.get("itemprop")
               or "").lower()
        if key in _META_TIMES:
            when = parse_iso(meta.attributes.get("content"))
            if when is not None and when.utcoffset():
                counter[when.utcoffset()] += 1  # type: ignore[index]
    for node in tree.css("time[datetime]"):
        when = parse_iso(node.attributes.get("datetime"))
        if when is not None and when.utcoffset():
            counter[when.utcoffset()] += 1  # type: ignore[index]
    return counter


def _first_day(value: Any) -> date | None:
    if isinstance(value, dict):
        for key in ("datePublished", "startDate", "dateCreated", "dateModified"):
            inner = value.get(key)
            if isinstance(inner, str):
                try:
                    return date.fromisoformat(inner.strip()[:10])
                except ValueError:
                    pass
        for inner in value.values():
            if isinstance(inner, (dict, list)) and (found := _first_day(inner)) is not None:
                return found
    elif isinstance(value, list):
        for inner in value:
            if (found := _first_day(inner)) is not None:
                return found
    return None


def stated_day(tree: LexborHTMLParser) -> date | None:
    """The first date the page's structured data states (a ``SportsEvent``'s ``startDate`` is often all there is)."""
    for document in _json_documents(tree):
        found = _first_day(document)
        if found is not None:
            return found
    return None
