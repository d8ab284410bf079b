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

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newswire.schemas import Embed, RawEntry

from .ids import entry_id_for_content, entry_id_for_time
from .markdown import MONTHS, ParsedPage, ParseError
from .structured import TIME_LABEL, LiveBlog, Update, live_blog, parse_iso, stated_day, stated_offsets
from .timezones import AMBIGUOUS_ZONES, zone_offset

__all__ = ["parse_html", "looks_like_html"]

_TIME_TEXT = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*\(?\s*([A-Za-z]{1,5})?\s*\)?\s*$")
#: "2h ago", "5 min fa", "il y a 3 minutes", "hace 10 minutos", "há 2 horas", "vor 5 Minuten"
_RELATIVE = re.compile(
    r"^\s*(?P<before>il y a|hace|há|vor)?\s*(?P<n>\d+)\s*(?P<unit>s|secs?|seconds?|secondes?|segundos?|sekunden?"
    r"|m|mins?|minutes?|minuti|minuto|minutos|minuten?|h|hrs?|hours?|ore|ora|heures?|horas?|stunden?|std\.?"
    r"|d|days?|giorni|giorno|jours?|d[ií]as?|tage?n?)\.?\s*(?P<after>ago|fa|atr[aá]s)?\s*$", re.IGNORECASE)
#: Seconds of a relative time's unit, by the unit's first letters, first match wins: "mi" minutes before "m",
#: "st" (Stunden, Std.) hours before "s" seconds; "o" is ore/ora, "g" giorni, "j" jours, "t" Tage.
_UNIT_SECONDS = (("mi", 60), ("m", 60), ("st", 3600), ("h", 3600), ("o", 3600), ("s", 1), ("d", 86400),
                 ("g", 86400), ("j", 86400), ("t", 86400))
#: A paragraph that is only a rule between the blocks of a wire service's page: "___", "---".
_RULE = re.compile(r"^\s*(?:_{2,}|-{3,}|\*{3,})\s*$")
#: A wire dateline: "STOCKHOLM — ", "SACRAMENTO, Calif. — ", "LONDON (AP) — " (some pages show the dash as ")
_DATELINE = re.compile(r"^\s*[A-Z][A-Z .'-]{2,40}(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)?)?(?:\s*\([A-Z]+\))?\s*"
                       r"(?:—|–|--|-|\"|\u201d|\u201c)\s+\S")
_CAPS_HEADER = re.compile(r"^\s*[^a-z]{6,}:\s*$")
#: "Nov 23, 2020 at 5:02 AM"
_US_STAMP = re.compile(
    r"\b([A-Z][a-z]{2})[a-z]*\.?\s+(\d{1,2}),\s+(\d{4})\s+(?:at\s+)?(\d{1,2}):(\d{2})\s*([AaPp]\.?[Mm]\.?)")
_MONTH_ABBR = {name[:3]: number for name, number in MONTHS.items()}
_TIME_LABEL_START = re.compile(r"^\s*\d{1,2}[:.]\d{2}\s*(?:\(\s*[A-Za-z]{2,5}\s*\)|[A-Z]{2,5}\b)")
_BYLINE_WORDS = ("author", "byline", "contributor")
_SHARE_WORDS = ("share", "social")
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
    when: datetime | None  # full datetime from a datetime attribute, or a relative time resolved

    @property
    def zone_known(self) -> bool:
        """The time is placed exactly: a full date-time, or a zone word that means one zone only."""
        if self.when is not None:
            return True
        return self.zone is not None and self.zone.upper() not in AMBIGUOUS_ZONES and zone_offset(self.zone) is not None


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


def _relative(text: str, reference: datetime) -> datetime | None:
    """A relative time ("2h ago", "5 min fa", "il y a 3 minutes") against the page's own time."""
    m = _RELATIVE.match(text)
    if m is None or not (m.group("before") or m.group("after")):
        return None  # "5 min" alone is a duration, not a time
    unit = m.group("unit").lower()
    seconds = next(size for prefix, size in _UNIT_SECONDS if unit.startswith(prefix))
    return (reference - timedelta(seconds=int(m.group("n")) * seconds)).astimezone(UTC).replace(microsecond=0)


def _plausible(hour: int, minute: int) -> bool:
    return hour <= 23 and minute <= 59  # "57:33" is a score, not a time


def _markers(root: LexborNode, reference: datetime) -> list[_Marker]:
    found: list[_Marker] = []
    seen: set[int] = set()
    for node in root.css("time"):
        if _in_updated_marker(node):
            continue
        when = _parse_datetime_attr(node.attributes.get("datetime"))
        shown = node.text(deep=True) or ""
        m = _TIME_TEXT.match(shown)
        if when is None and m is None:
            when = _relative(shown, reference)
            if when is None:
                continue
        if m is not None and not _plausible(int(m.group(1)), int(m.group(2))):
            continue
        hour, minute, zone = (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (when.hour, when.minute, "UTC")  # type: ignore[union-attr]
        found.append(_Marker(node, hour, minute, zone, when))
        seen.add(node.mem_id)
    for node in root.css("h1, h2, h3, h4, h5, h6, p, strong, b, span, div, li, dt, a"):
        text = node.text(deep=True) or ""
        if len(text) > 20 or node.mem_id in seen:
            continue
        m = _TIME_TEXT.match(text)
        relative = _relative(text, reference) if m is None else None
        if (not m and relative is None) or any(child.mem_id in seen for child in node.traverse(include_text=False)):
            continue
        if m is not None and not _plausible(int(m.group(1)), int(m.group(2))):
            continue
        if _in_updated_marker(node):
            continue
        if any((_TIME_TEXT.match(inner.text(deep=True) or "") or _RELATIVE.match(inner.text(deep=True) or ""))
               for inner in node.traverse(include_text=False) if inner.mem_id != node.mem_id):
            continue  # the innermost element carrying the time is the marker
        if relative is not None:
            found.append(_Marker(node, relative.hour, relative.minute, "UTC", relative))
        else:
            found.append(_Marker(node, int(m.group(1)), int(m.group(2)), m.group(3), None))  # type: ignore[union-attr]
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
             ) -> tuple[list[str], list[str], list[Embed], str | None, str | None]:
    """Paragraph texts, their HTML, embeds, a headline and a byline from the entry's nodes (the time marker,
    share buttons and "Updated" stamps left out)."""
    texts: list[str] = []
    htmls: list[str] = []
    embeds: list[Embed] = []
    headline: str | None = None
    byline: str | None = None
    skip = {marker.mem_id} if marker is not None else set()

    def visit(node: LexborNode) -> None:
        nonlocal headline, byline
        if node.mem_id in skip:
            return
        if node.tag != "-text":
            words = _classes(node)
            if node.attributes.get("rel") == "author" or any(w in words for w in _BYLINE_WORDS):
                name = " ".join((node.text(deep=True) or "").split())
                if name and len(name) <= 120:
                    byline = byline or name
                    return
            if any(w in words.split() or f"{w}-" in words for w in _SHARE_WORDS):
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
    return texts, htmls, embeds, headline, byline


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


def _resolve_times(markers: list[_Marker], pinned: list[bool], page_day: date,
                   local: timedelta | None) -> list[datetime]:
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
        offset = zone_offset(mk.zone) if mk.zone_known else (local if local is not None else zone_offset(mk.zone))
        if offset is None:
            raise ParseError(f"unknown time zone {mk.zone!r} at {mk.hour:02d}:{mk.minute:02d}")
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


def _canon(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _plain(update: Update) -> str:
    """The update's body as text (its HTML's text when it is HTML)."""
    return update.body if not update.body_is_html else LexborHTMLParser(update.body).text() or ""


def _probe(update: Update) -> str:
    """The start of the update's text (or headline), canonical, to find it among the visible entries."""
    return _canon(_plain(update))[:48] or _canon(update.headline or "")[:48]


def _pair(probe: str, visible: str) -> bool:
    """Whether a visible entry's canonical text is a structured update's (its :func:`_probe`): the start of one
    is in the other."""
    return len(probe) >= 12 and (probe in visible or visible[:48] in probe and len(visible) >= 12)


def _offset_from_pairs(updates: list[Update], probes: list[str], markers: list[_Marker], contents: list[str],
                       page_day: date) -> timedelta | None:
    """The UTC offset of the times the page shows without a zone, from entries also in its structured data:
    shown "00:30" against a stated 23:30Z says +01:00. ``contents``: the entries' canonical texts."""
    votes: Counter[timedelta] = Counter()
    for marker, text in zip(markers, contents, strict=True):
        if marker.zone_known or not text:
            continue
        for update, probe in zip(updates, probes, strict=True):
            if update.published_at is not None and _pair(probe, text):
                shown = datetime(page_day.year, page_day.month, page_day.day, marker.hour, marker.minute,
                                 tzinfo=UTC)
                actual = update.published_at.astimezone(UTC).replace(second=0, microsecond=0)
                minutes = round(((shown - actual).total_seconds() / 60) / 15) * 15 % 1440
                votes[timedelta(minutes=minutes - 1440 if minutes > 840 else minutes)] += 1
                break
    return votes.most_common(1)[0][0] if votes else None


def _local_offset(tz: tzinfo | None, page_day: date) -> timedelta | None:
    if tz is None:
        return None
    return datetime(page_day.year, page_day.month, page_day.day, 12, tzinfo=tz).utcoffset()


def _update_id(story: str, update: Update) -> str | None:
    if not update.id:
        return None
    fragment = update.id.rsplit("#", 1)[1] if "#" in update.id else ""
    if 0 < len(fragment) <= 80:
        return f"u-{fragment}"
    return f"u-{hashlib.blake2b(update.id.encode(), digest_size=10).hexdigest()}"


def _without_labels(texts: list[str], htmls: list[str], *labels: str | None) -> tuple[list[str], list[str]]:
    """The paragraphs without leading ones that repeat a byline or headline, or are only a time label."""
    known = {_canon(label) for label in labels if label}
    canon = [_canon(text) for text in texts[:4]]
    for index, paragraph in enumerate(canon[1:], start=1):  # "Frances Watkins", then the headline
        if paragraph in known and all(len(text) <= 60 for text in texts[:index]):
            texts, htmls = texts[index + 1:], htmls[index + 1:]
            break
    while texts and (_canon(texts[0]) in known or not TIME_LABEL.sub("", texts[0]).strip()):
        texts, htmls = texts[1:], htmls[1:]
    if texts:
        first = TIME_LABEL.sub("", texts[0], count=1) if _TIME_LABEL_START.match(texts[0]) else texts[0]
        texts = [first, *texts[1:]]
    return texts, htmls


def _entry_from_update(story: str, update: Update, visible: _Draft | None, ordinal: int = 0) -> RawEntry:
    headline = update.headline
    body_text = body_html = None
    if update.body_is_html:
        body_html = update.body
    else:
        body_text = update.body
    embeds: list[Embed] = []
    if visible is not None:
        texts, htmls = _without_labels(visible.texts, visible.htmls, update.author, update.headline)
        stated = _canon(_plain(update))
        start = next((i for i, text in enumerate(texts) if stated and _canon(text)[:24] == stated[:24]), None)
        if start is not None:  # where the news starts on the page: dates and headlines above it are not the text
            shown = _canon("".join(texts[start:]))
            if shown.startswith(stated[:-3] if len(stated) > 40 else stated):
                # the page shows the whole text (the data may cut it short) and its HTML
                body_text, body_html = "\n\n".join(texts[start:]), "".join(htmls[start:])
        embeds = visible.embeds
    if not body_text and not body_html:
        body_text, headline = headline, None
    plain = _canon(body_text or (LexborHTMLParser(body_html or "").text() or ""))
    if headline and plain.startswith(_canon(headline)):
        headline = None  # the "headline" is the start of the text (a cut copy of it)
    when = update.published_at.astimezone(UTC) if update.published_at else None
    entry_id = _update_id(story, update)
    if entry_id is None:
        entry_id = entry_id_for_time(story, when, ordinal) if when is not None else entry_id_for_content(
            story, body_text or body_html or "")
    return RawEntry(id=entry_id, body_text=body_text, body_html=body_html, headline=headline,
                    author=update.author, url=update.url[:4000] if update.url else None, published_at=when,
                    embeds=embeds)


@dataclass
class _Draft:
    when: datetime
    position: int
    pinned: bool
    texts: list[str]
    htmls: list[str]
    embeds: list[Embed]
    headline: str | None
    byline: str | None


def _wire_entries(root: LexborNode, story: str, page_time: datetime | None) -> list[RawEntry]:
    """A wire service's "The Latest" page: dateline blocks ("STOCKHOLM — …") between rules or ``___``."""
    blocks: list[list[LexborNode]] = [[]]
    for node in root.css("p, hr"):
        text = (node.text(deep=True) or "").strip()
        if node.tag == "hr" or _RULE.match(text):
            blocks.append([])
        elif text:
            blocks[-1].append(node)
    entries = []
    for block in blocks:
        while block and _CAPS_HEADER.match(block[0].text(deep=True) or ""):
            block = block[1:]  # "HERE'S WHAT ELSE IS HAPPENING:" above the next dateline
        if not block or not _DATELINE.match(block[0].text(deep=True) or ""):
            continue  # the lists of links between the news
        texts = [" ".join((node.text(deep=True) or "").split()) for node in block]
        body_text = "\n\n".join(texts)
        entries.append(RawEntry(id=entry_id_for_content(story, body_text), body_text=body_text,
                                body_html="".join(node.html or "" for node in block), published_at=page_time))
    return entries


def _page_time(tree: LexborHTMLParser, blog: LiveBlog | None, local: timedelta | None) -> datetime | None:
    """When the page says it was last published: structured data, meta tags, or a visible "Nov 23, 2020 at 5:02
    AM" read in the page's zone."""
    if blog is not None and (blog.modified_at or blog.published_at):
        return (blog.modified_at or blog.published_at).astimezone(UTC)  # type: ignore[union-attr]
    for key in ("article:modified_time", "article:published_time", "og:updated_time"):
        meta = tree.css_first(f'meta[property="{key}"], meta[name="{key}"]')
        when = parse_iso(meta.attributes.get("content")) if meta is not None else None
        if when is not None:
            return when.astimezone(UTC)
    body = tree.body
    match = _US_STAMP.search(body.text(separator="\n") if body is not None else "")
    if match:
        month = _MONTH_ABBR.get(match.group(1).lower()[:3])
        if month:
            hour = int(match.group(4)) % 12 + (12 if match.group(6).lower().startswith("p") else 0)
            shown = datetime(int(match.group(3)), month, int(match.group(2)), hour, int(match.group(5)), tzinfo=UTC)
            return shown - (local or timedelta(0))
    return None


def parse_html(text: str, story: str, *, today: date | None = None, tz: tzinfo | None = None,
               now: datetime | None = None) -> ParsedPage:
    """Parse an HTML live-blog page into raw entries, oldest first.

    The page's schema.org ``LiveBlogPosting`` comes first (:mod:`.structured`); the visible entries
    fill in what it cuts short or leaves out (older updates than the latest N it lists). Times shown
    without a zone are read in ``tz`` when given, else in the zone the page's own data implies; with
    no evidence they are taken as UTC and the page carries a warning. Raises :class:`ParseError` when
    the page has no entry at all.
    """
    if "\x00" in text:
        raise ParseError("the document contains NUL bytes; it is not a text page")
    tree = LexborHTMLParser(text)
    root = tree.root
    if root is None:
        raise ParseError("no HTML document")
    title_node = tree.css_first("h1") or tree.css_first("title")
    headline = " ".join((title_node.text() or "").split()) if title_node is not None else None
    blog = live_blog(tree)
    updates = blog.updates if blog is not None else []
    stated = stated_offsets(tree)
    page_day = (_page_date(root) or _structured_day(blog, tree) or today or (now or datetime.now(UTC)).date())
    warnings: list[str] = []
    _drop_noise(root)
    local = _local_offset(tz, page_day)
    page_time = _page_time(tree, blog, local)
    # relative times ("5 min ago") count back from the page's own time, else from now
    reference = page_time or now or datetime.now(UTC)
    markers = _markers(blog.container if blog is not None and blog.container is not None else root, reference)
    marker_ids = {mk.node.mem_id for mk in markers}
    stop = frozenset({"body", "html", "main"})
    located = [_entry_nodes(mk, marker_ids, stop) for mk in markers]
    pinned = [_is_pinned(container) for container, _ in located]
    contents = [_content(nodes, mk.node) for mk, (_c, nodes) in zip(markers, located, strict=True)]
    probes = [_probe(update) for update in updates]
    if local is None and any(not mk.zone_known for mk in markers):
        local = _offset_from_pairs(updates, probes, markers, [_canon("\n\n".join(c[0])) for c in contents],
                                   page_day)
        if local is None and stated:
            local = stated.most_common(1)[0][0]
        if local is None and not updates:
            shown = next(mk for mk in markers if not mk.zone_known)
            warnings.append(f"the page shows times without a time zone ({shown.hour:02d}:{shown.minute:02d}) and "
                            "states none: they are taken as UTC; pass --tz to read them in the newsroom's zone")
    times = _resolve_times(markers, pinned, page_day, local)
    drafts: list[_Draft] = []
    seen: dict[tuple[datetime, str], int] = {}
    for index, (when, (_container, _nodes), pin, content) in enumerate(zip(times, located, pinned, contents,
                                                                              strict=True)):
        texts, htmls, embeds, entry_headline, byline = content
        texts, htmls = _without_labels(texts, htmls, byline, entry_headline)
        if not texts:
            continue  # a time with nothing under it
        key = (when, "\n\n".join(texts))
        if key in seen:  # a pinned copy of an entry that also appears in the stream
            first = drafts[seen[key]]
            first.pinned = True
            if not pin:
                first.position = -index
            continue
        seen[key] = len(drafts)
        drafts.append(_Draft(when, -index, pin, texts, htmls, embeds, entry_headline, byline))

    entries: list[RawEntry] = []
    if updates:
        used: set[int] = set()
        per_minute: Counter[datetime] = Counter()
        visible_texts = [_canon("\n\n".join(draft.texts)) for draft in drafts]
        for update, probe in sorted(zip(updates, probes, strict=True),
                                    key=lambda pair: (pair[0].published_at is None,
                                                      pair[0].published_at and pair[0].published_at.astimezone(UTC))):
            match = next((i for i, text in enumerate(visible_texts) if i not in used and _pair(probe, text)), None)
            if match is not None:
                used.add(match)
            minute = update.published_at.astimezone(UTC).replace(second=0, microsecond=0) if update.published_at \
                else datetime.min.replace(tzinfo=UTC)
            entries.append(_entry_from_update(story, update, drafts[match] if match is not None else None,
                                              per_minute[minute]))
            per_minute[minute] += 1
        stated_times = [e.published_at for e in entries if e.published_at is not None]
        oldest = min(stated_times) if stated_times else None
        # the data lists the latest updates; what the page shows below the oldest of them is older news
        oldest_minute = oldest.replace(second=0, microsecond=0) if oldest is not None else None
        older = [d for i, d in enumerate(drafts)
                 if i not in used and oldest_minute is not None and d.when < oldest_minute]
        entries.extend(_entries_from_drafts(story, older))
        entries.sort(key=lambda e: e.published_at or datetime.max.replace(tzinfo=UTC))
    elif drafts:
        entries = _entries_from_drafts(story, drafts)
    if not markers and not updates:  # with no marker, ``local`` is still the --tz offset page_time was read in
        entries = _wire_entries(root, story, page_time)
        if entries and page_time is None:
            warnings.append("a wire page with no time per entry and no page time: entries are stamped when published")
        elif entries and tz is None and not stated and blog is None:
            warnings.append("the page's time is shown without a time zone and is taken as UTC; pass --tz")
        entries.reverse()  # the newest block is on top: oldest first
    if not entries:
        raise ParseError("no live-blog entries found (expected schema.org LiveBlogPosting data, <time> elements, "
                         "times such as 19:16 GMT, or dateline blocks of a wire service's page)")
    container = blog.container if blog is not None else None
    if container is not None:  # the LiveBlogPosting element: each child is an update, with a time or not
        timeless = [child for child in container.iter() if _contains(child, marker_ids) == 0]
    else:
        timeless = _timeless_blocks(located, marker_ids)
    for node in timeless:
        texts, htmls, embeds, entry_headline, byline = _content([node], None)
        texts, htmls = _without_labels(texts, htmls, byline, entry_headline)
        if texts and not updates:  # no time shown: identified by its content, stamped with the time of publishing
            body_text = "\n\n".join(texts)
            entries.append(RawEntry(id=entry_id_for_content(story, body_text), body_text=body_text,
                                    body_html="".join(htmls), embeds=embeds, headline=entry_headline,
                                    author=byline, key_event=_is_pinned(node)))
    if container is not None:
        entries = _in_page_order(entries, list(container.iter()))
    entries = _distinct_ids(entries)
    return ParsedPage(headline=(blog.headline if blog is not None and blog.headline else headline) or None,
                      entries=entries, warnings=list(dict.fromkeys(warnings)))


def _distinct_ids(entries: list[RawEntry]) -> list[RawEntry]:
    """The same text shown as separate updates ("Kosmetyka toru." each time the track is graded) gets its
    occurrence in the id, counted oldest first so a new update on top leaves the older ids as they were."""
    seen: Counter[str] = Counter()
    distinct = []
    for entry in entries:
        seen[entry.id or ""] += 1
        if seen[entry.id or ""] > 1:
            entry = entry.model_copy(update={"id": f"{entry.id}-{seen[entry.id or '']}"})
        distinct.append(entry)
    return distinct


def _in_page_order(entries: list[RawEntry], children: list[LexborNode]) -> list[RawEntry]:
    """Entries of a LiveBlogPosting element in the order of its children, oldest first: updates without a time
    (a heat's result, a video) then sit among the others instead of after them all."""
    texts = [_canon(child.text(deep=True) or "") for child in children]

    def place(entry: RawEntry) -> int:
        probe = _canon(entry.body_text or "")[:40]
        return next((i for i, text in enumerate(texts) if probe and probe in text), len(texts))

    timed = [e.published_at for e in sorted(entries, key=place) if e.published_at is not None]
    newest_first = len(timed) < 2 or timed[0] >= timed[-1]
    return sorted(entries, key=place, reverse=newest_first)


def _structured_day(blog: LiveBlog | None, tree: LexborHTMLParser) -> date | None:
    when = (blog.published_at or blog.modified_at) if blog is not None else None
    return when.date() if when is not None else stated_day(tree)


def _entries_from_drafts(story: str, drafts: list[_Draft]) -> list[RawEntry]:
    """Entries from visible drafts, oldest first, with ids from their displayed minute."""
    if not drafts:
        return []
    stream = [d.when for d in drafts if not d.pinned] or [d.when for d in drafts]
    newest_first = stream[0] >= stream[-1]
    ordered = sorted(drafts, key=lambda d: (d.when, d.position if newest_first else -d.position))
    entries: list[RawEntry] = []
    per_minute: dict[datetime, int] = {}
    for draft in ordered:
        minute = draft.when.replace(second=0, microsecond=0)
        ordinal = per_minute.get(minute, 0)
        per_minute[minute] = ordinal + 1
        entries.append(RawEntry(id=entry_id_for_time(story, draft.when, ordinal), body_text="\n\n".join(draft.texts),
                                body_html="".join(draft.htmls), published_at=draft.when, embeds=draft.embeds,
                                headline=draft.headline, author=draft.byline, key_event=draft.pinned))
    return entries
