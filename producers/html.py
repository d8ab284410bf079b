"""Live-blog pages as HTML (what newsroom pages serve): pure parsing with selectolax, no I/O.

An entry is found by its time: a ``<time datetime=…>`` element, or an element whose whole
visible text is a time with a zone word ("19:16 GMT", "18.40 BST"). Two layouts are handled:

- wrapped: each entry in its own block (``<article><time …/>…</article>``): the entry is
  the largest ancestor of the time that holds no other entry time;
- flat: the times are headings among the paragraphs of one column; an entry is the time
  plus the siblings that follow it up to the next time.

Navigation, scripts, styles, forms and ad slots are dropped first. "Updated 19:30 GMT"
markers stay part of their entry. A pinned or key-event entry (class or label "pinned",
"key event") gets ``key_event``. Entries come back oldest first with the ids of
:mod:`newswire.producers.ids`, the same ids the Markdown form of the same page gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newswire.schemas import Embed, RawEntry

from .ids import entry_id_for_content, entry_id_for_time
from .markdown import MONTHS, ParsedPage, ParseError
from .timezones import zone_offset

__all__ = ["parse_html", "looks_like_html"]

_TIME_TEXT = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*([A-Za-z]{1,5})?\s*$")
_UPDATED = re.compile(r"^\s*(last\s+)?updated\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_WORD_DATE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\b")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_HASHTAG = re.compile(r"(?<![\w&])#(\w[\w-]*)", re.UNICODE)
_HANDLE = re.compile(r"\(?(@[\w.]+)\)?")
_NOISE = "script, style, noscript, template, nav, form, iframe, svg, button, header[role=banner], footer"
_AD_WORDS = ("advert", "ad-slot", "ad-container", "adsbygoogle", "sponsor", "promo", "newsletter", "cookie")
_PINNED_WORDS = ("pinned", "key-event", "keyevent", "key_event", "highlight")
_PINNED_LABELS = {"pinned", "pinned post", "key event", "key events"}
_BLOCKS = {"p", "blockquote", "ul", "ol", "h2", "h3", "h4", "h5", "h6", "figure", "pre", "table"}


def looks_like_html(text: str) -> bool:
    """True when the document starts like HTML (a doctype or an ``<html>``/``<body>``/``<article>`` tag)."""
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(re.search(r"<(html|body|article|main)[\s>]", head))


@dataclass
class _Marker:
    node: LexborNode
    hour: int
    minute: int
    zone: str | None
    when: datetime | None  # full datetime from a datetime attribute


def _classes(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def _is_ad(node: LexborNode) -> bool:
    words = _classes(node)
    return any(w in words for w in _AD_WORDS) or words.split().count("ad") > 0 or "aria-hidden" in node.attributes


def _drop_noise(root: LexborNode) -> None:
    for node in root.css(_NOISE):
        node.decompose()
    for node in root.css("[class], [id]"):
        if node.parent is not None and _is_ad(node):
            node.decompose()


def _parse_datetime_attr(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None or ("T" not in value and " " not in value.strip()):
        return None  # a bare date or a time without zone: only the visible text can place it
    return when.astimezone(UTC)


def _in_updated_marker(node: LexborNode) -> bool:
    """True for the time of an "Updated 19:30 GMT" line, which belongs to the entry above it."""
    for probe in (node, node.parent):
        if probe is None:
            continue
        if "updated" in _classes(probe) or _UPDATED.match(probe.text(deep=True) or ""):
            return True
        prev = probe.prev
        if prev is not None and prev.tag == "-text" and _UPDATED.search((prev.text_content or "").strip()):
            return True
    return False


def _markers(root: LexborNode) -> list[_Marker]:
    found: list[_Marker] = []
    seen: set[int] = set()
    for node in root.css("time"):
        if _in_updated_marker(node):
            continue
        when = _parse_datetime_attr(node.attributes.get("datetime"))
        m = _TIME_TEXT.match(node.text(deep=True) or "")
        if when is None and m is None:
            continue
        hour, minute, zone = (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (when.hour, when.minute, "UTC")  # type: ignore[union-attr]
        found.append(_Marker(node, hour, minute, zone, when))
        seen.add(node.mem_id)
    for node in root.css("h1, h2, h3, h4, h5, h6, p, strong, b, span, div, li, dt, a"):
        text = node.text(deep=True) or ""
        if len(text) > 20 or node.mem_id in seen:
            continue
        m = _TIME_TEXT.match(text)
        if not m or any(child.mem_id in seen for child in node.traverse(include_text=False)):
            continue
        if _in_updated_marker(node):
            continue
        if any(_TIME_TEXT.match(inner.text(deep=True) or "") for inner in node.traverse(include_text=False)
               if inner.mem_id != node.mem_id):
            continue  # the innermost element carrying the time is the marker
        found.append(_Marker(node, int(m.group(1)), int(m.group(2)), m.group(3), None))
        seen.add(node.mem_id)
    return sorted(found, key=lambda mk: _document_position(root, mk.node))


def _document_position(root: LexborNode, node: LexborNode) -> int:
    for i, n in enumerate(root.traverse(include_text=False)):
        if n.mem_id == node.mem_id:
            return i
    return -1


def _contains(ancestor: LexborNode, ids: set[int]) -> int:
    return sum(1 for n in ancestor.traverse(include_text=False) if n.mem_id in ids)


def _entry_nodes(marker: _Marker, marker_ids: set[int],
                 stop_tags: frozenset[str]) -> tuple[LexborNode, list[LexborNode]]:
    """The entry's container and the nodes that make up its content."""
    container = marker.node
    while (container.parent is not None and container.parent.tag not in stop_tags
           and _contains(container.parent, marker_ids) == 1):
        container = container.parent
    container_text = " ".join((container.text(deep=True) or "").split())
    marker_text = " ".join((marker.node.text(deep=True) or "").split())
    if container_text != marker_text:
        return container, [container]  # wrapped layout
    nodes: list[LexborNode] = []
    sibling = container.next
    while sibling is not None:
        if sibling.tag != "-text" and _contains(sibling, marker_ids):
            break
        nodes.append(sibling)
        sibling = sibling.next
    return container, nodes


def _embed(node: LexborNode) -> Embed:
    links = [a.attributes.get("href") or "" for a in node.css("a")]
    paragraph = node.css_first("p")
    text = " ".join(((paragraph or node).text(deep=True, separator=" ") or "").split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    tail = node.text(deep=False) or ""
    handles = _HANDLE.findall(tail) or _HANDLE.findall(node.text(deep=True) or "")
    author = handles[-1] if handles else None
    hashtags = list(dict.fromkeys(_HASHTAG.findall(text)))
    status = next((u for u in links if "/status/" in u), None)
    content_links = [u for u in links if u and "/hashtag/" not in u and u != status and not u.startswith("#")]
    kind = "tweet" if "twitter-tweet" in _classes(node) else "post"
    return Embed(kind=kind, author=author, text=text, hashtags=hashtags, links=list(dict.fromkeys(content_links)),
                 url=status)


def _is_embed(node: LexborNode) -> bool:
    classes = _classes(node)
    return node.tag == "blockquote" and any(w in classes for w in ("twitter-tweet", "instagram", "telegram", "embed"))


def _text_of(node: LexborNode) -> str:
    """Visible text, with blocks inside (list items, cells, breaks) kept apart by a space."""
    separator = " " if node.css_first("li, p, tr, td, th, br, div") is not None else ""
    text = " ".join((node.text(deep=True, separator=separator) or "").split())
    return re.sub(r"\s+([,.;:!?])", r"\1", text)


def _content(nodes: list[LexborNode], marker: LexborNode | None,
             ) -> tuple[list[str], list[str], list[Embed], str | None]:
    """Paragraph texts, their HTML, embeds and a headline from the entry's nodes (the time marker left out)."""
    texts: list[str] = []
    htmls: list[str] = []
    embeds: list[Embed] = []
    headline: str | None = None
    skip = {marker.mem_id} if marker is not None else set()

    def visit(node: LexborNode) -> None:
        nonlocal headline
        if node.mem_id in skip:
            return
        if (node.tag != "-text" and any(w in _classes(node).split() for w in ("label", "badge", "flag"))
                and (node.text() or "").strip().lower() in _PINNED_LABELS):
            return
        if node.tag == "-text":
            text = " ".join((node.text_content or "").split())
            if text and not _UPDATED.match(text):
                texts.append(text)
                htmls.append(f"<p>{node.html}</p>")
            return
        if _is_embed(node):
            embed = _embed(node)
            embeds.append(embed)
            texts.append(f"{embed.author}: {embed.text}" if embed.author else embed.text)
            htmls.append(node.html or "")
            return
        if node.tag in _BLOCKS and _contains(node, skip) == 0:
            text = _text_of(node)
            if not text or _UPDATED.match(text) or _TIME_TEXT.match(text):
                return
            if node.tag in {"h2", "h3", "h4", "h5", "h6"} and headline is None and not texts:
                headline = text
                return
            texts.append(text)
            htmls.append(node.html or "")
            return
        child = node.child
        if child is None:
            return
        while child is not None:
            visit(child)
            child = child.next

    for node in nodes:
        visit(node)
    return texts, htmls, embeds, headline


def _page_date(root: LexborNode) -> date | None:
    for meta in root.css("meta[property='article:published_time'], meta[name='date'], meta[itemprop='datePublished']"):
        try:
            return datetime.fromisoformat((meta.attributes.get("content") or "").replace("Z", "+00:00")).date()
        except ValueError:
            continue
    for node in root.css("time[datetime]"):
        m = _ISO_DATE.match(node.attributes.get("datetime") or "")
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    body = root.css_first("body") or root
    text = body.text(deep=True, separator="\n") or ""
    for m in _NUMERIC_DATE.finditer(text):
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            continue
    for m in _WORD_DATE.finditer(text):
        if m.group(2).lower() in MONTHS:
            try:
                return date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
            except ValueError:
                continue
    return None


def _resolve_times(markers: list[_Marker], pinned: list[bool], page_day: date) -> list[datetime]:
    """UTC times of the markers. A page without full dates is newest first unless its times rise;
    walking down it, a time out of order means the day changed. Pinned entries sit out of order, so
    they do not move the day."""
    plain = [mk for mk, pin in zip(markers, pinned, strict=True) if mk.when is None and not pin]
    pairs = list(zip(plain, plain[1:], strict=False))
    # the shorter way round the clock tells the direction: 23:58 → 00:05 is 7 minutes forwards
    forwards = [((b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)) % 1440 for a, b in pairs]
    rising = sum(1 for d in forwards if 0 < d < 720)
    falling = sum(1 for d in forwards if d > 720)
    newest_first = falling >= rising
    out: list[datetime] = []
    prev: datetime | None = None
    shift = 0
    for mk, pin in zip(markers, pinned, strict=True):
        if mk.when is not None:
            out.append(mk.when)
            prev = prev if pin else mk.when
            continue
        offset = zone_offset(mk.zone)
        if offset is None:
            raise ParseError(f"unknown time zone {mk.zone!r} at {mk.hour:02d}:{mk.minute:02d}")
        if mk.hour > 23 or mk.minute > 59:
            raise ParseError(f"impossible time {mk.hour:02d}:{mk.minute:02d}")
        base = datetime(page_day.year, page_day.month, page_day.day, mk.hour, mk.minute, tzinfo=UTC) - offset
        when = base + timedelta(days=-shift if newest_first else shift)
        if pin:
            out.append(when)
            continue
        if prev is not None and newest_first and when > prev:
            shift += 1
            when -= timedelta(days=1)
        elif prev is not None and not newest_first and when < prev:
            shift += 1
            when += timedelta(days=1)
        out.append(when)
        prev = when
    return out


def _timeless_blocks(located: list[tuple[LexborNode, list[LexborNode]]], marker_ids: set[int]) -> list[LexborNode]:
    """Blocks shaped like the wrapped entries around them (same tag and class) that show no time."""
    wrapped = [container for container, nodes in located if nodes == [container]]
    shapes = {(c.tag, c.attributes.get("class") or "") for c in wrapped}
    parents = {c.parent.mem_id: c.parent for c in wrapped if c.parent is not None}
    found: list[LexborNode] = []
    for parent in parents.values():
        child = parent.child
        while child is not None:
            if ((child.tag, child.attributes.get("class") or "") in shapes
                    and _contains(child, marker_ids) == 0 and child.tag != "-text"):
                found.append(child)
            child = child.next
    return found


def _is_pinned(container: LexborNode) -> bool:
    classes = _classes(container)
    if any(w in classes for w in _PINNED_WORDS):
        return True
    label = container.css_first(".label, .badge, .tag, .flag")
    return label is not None and (label.text() or "").strip().lower() in _PINNED_LABELS


def parse_html(text: str, story: str, *, today: date | None = None) -> ParsedPage:
    """Parse an HTML live-blog page into raw entries, oldest first.

    Raises :class:`ParseError` when the page has no time-marked entry.
    """
    if "\x00" in text:
        raise ParseError("the document contains NUL bytes; it is not a text page")
    tree = LexborHTMLParser(text)
    root = tree.root
    if root is None:
        raise ParseError("no HTML document")
    title_node = tree.css_first("h1") or tree.css_first("title")
    headline = " ".join((title_node.text() or "").split()) if title_node is not None else None
    page_day = _page_date(root) or today or datetime.now(UTC).date()
    _drop_noise(root)
    markers = _markers(root)
    if not markers:
        raise ParseError("no live-blog entries found (expected <time> elements or times such as 19:16 GMT)")
    marker_ids = {mk.node.mem_id for mk in markers}
    stop = frozenset({"body", "html", "main"})
    located = [_entry_nodes(mk, marker_ids, stop) for mk in markers]
    pinned = [_is_pinned(container) for container, _ in located]
    times = _resolve_times(markers, pinned, page_day)
    drafts: dict[tuple[datetime, str], tuple[datetime, int, RawEntry]] = {}
    for index, (mk, when, (_container, nodes), pin) in enumerate(zip(markers, times, located, pinned, strict=True)):
        texts, htmls, embeds, entry_headline = _content(nodes, mk.node)
        if not texts:
            continue  # a time with nothing under it
        body_text = "\n\n".join(texts)
        key = (when, body_text)
        if key in drafts:  # a pinned copy of an entry that also appears in the stream
            first_when, first_index, first = drafts[key]
            position = first_index if pin else -index  # order by the stream copy's place
            drafts[key] = (first_when, position, first.model_copy(update={"key_event": True}))
            continue
        drafts[key] = (when, -index, RawEntry(
            body_text=body_text, body_html="".join(htmls), published_at=when, embeds=embeds,
            headline=entry_headline, key_event=pin))
    timeless = _timeless_blocks(located, marker_ids)
    # oldest first; of two entries shown at the same minute, the lower one on the page is older
    stream_times = [t for t, pin in zip(times, pinned, strict=True) if not pin] or times
    newest_first = stream_times[0] >= stream_times[-1]
    ordered = sorted(drafts.values(), key=lambda d: (d[0], d[1] if newest_first else -d[1]))
    entries: list[RawEntry] = []
    per_minute: dict[datetime, int] = {}
    for when, _, entry in ordered:
        minute = when.replace(second=0, microsecond=0)
        ordinal = per_minute.get(minute, 0)
        per_minute[minute] = ordinal + 1
        entries.append(entry.model_copy(update={"id": entry_id_for_time(story, when, ordinal)}))
    for node in timeless:
        texts, htmls, embeds, entry_headline = _content([node], None)
        if texts:  # no time shown: identified by its content, stamped with the time of publishing
            body_text = "\n\n".join(texts)
            entries.append(RawEntry(id=entry_id_for_content(story, body_text), body_text=body_text,
                                    body_html="".join(htmls), embeds=embeds, headline=entry_headline,
                                    key_event=_is_pinned(node)))
    return ParsedPage(headline=headline or None, entries=entries)
