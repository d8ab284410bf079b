"""Live-blog pages in Markdown form (as ``shared/seeds/*.md``): pure parsing, no I/O.

The shape::

    **Page headline**
    14/03/2016                 <- the page's date (DD/MM/YYYY), or "- 14 March 2016"
    **19:16 GMT**              <- an entry marker: a bold time with a time-zone word
    paragraph…                 <- paragraphs, *"quotes"*, embedded posts:
    [@RT.com](#) [#Putin](#) orders … <http://on.rt.com/76wy>
    - **19:14 GMT**            <- the next (older) entry

Entries are listed newest first on the page; :func:`parse_markdown` returns them
oldest first, with times in UTC and stable ids (:mod:`newswire.producers.ids`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from newswire.schemas import Embed, RawEntry

from .ids import entry_id_for_time
from .timezones import zone_offset

__all__ = ["ParseError", "ParsedPage", "parse_markdown", "looks_like_markdown_liveblog"]

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}

_TIME_MARKER = re.compile(r"^\s*(?:[-*]\s+)?\*\*\s*(\d{1,2})[:.](\d{2})\s*([A-Za-z]{1,5})?\s*\*\*\s*$")
_NUMERIC_DATE = re.compile(r"^\s*(?:[-*]\s+)?(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_WORD_DATE = re.compile(r"^\s*(?:[-*]\s+)?(?:\w+day,?\s+)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\s*$")
_HEADLINE = re.compile(r"^\s*\*\*(.+?)\*\*\s*$")
_BARE_BULLET = re.compile(r"^\s*[-*]?\s*$")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_EMBED_START = re.compile(r"^\s*\[@([^\]]+)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_HASHTAG = re.compile(r"(?<![\w&])#(\w[\w-]*)", re.UNICODE)


class ParseError(ValueError):
    """The document is not a live-blog page this parser understands."""


@dataclass
class ParsedPage:
    headline: str | None
    entries: list[RawEntry] = field(default_factory=list)
    #: what the reader should know about how the page was read (e.g. times taken as UTC for want of a zone)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Block:
    hour: int
    minute: int
    zone: str | None
    day: date | None
    lines: list[str] = field(default_factory=list)


def looks_like_markdown_liveblog(text: str) -> bool:
    """True when the text has at least one bold time marker (``**19:16 GMT**``)."""
    return any(_TIME_MARKER.match(line) for line in text.splitlines())


def _parse_date(line: str) -> date | None:
    m = _NUMERIC_DATE.match(line)
    if m:
        d, mo, y = (int(g) for g in m.groups())
        try:
            return date(y, mo, d)
        except ValueError:
            return None
    m = _WORD_DATE.match(line)
    if m and m.group(2).lower() in MONTHS:
        try:
            return date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            return None
    return None


def _paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs, joining a paragraph that a blank line split mid-sentence."""
    paras: list[str] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.strip() and not _BARE_BULLET.match(line) and not _RULE.match(line):
            current.append(line.strip())
        elif current:
            paras.append(" ".join(current))
            current = []
    joined: list[str] = []
    for para in paras:
        if joined and _continues(joined[-1], para):
            prev = joined.pop()
            if prev.endswith("*") and para.startswith("*"):
                joined.append(prev.rstrip("*").rstrip() + " " + para.lstrip("*").lstrip())
            else:
                joined.append(prev + " " + para)
        else:
            joined.append(para)
    return joined


def _continues(prev: str, nxt: str) -> bool:
    """A paragraph continues the previous one when that stops mid-sentence and this starts in lower case."""
    if _EMBED_START.match(prev) or _EMBED_START.match(nxt):
        return False
    tail = prev.rstrip("*_ ")
    head = nxt.lstrip("*_\"'“‘ ")
    return bool(tail) and bool(head) and tail[-1] not in ".!?\"”'’:;)…" and head[0].islower()


def _plain(md: str) -> str:
    """Markdown inline → plain text (links keep their text, autolinks their URL, emphasis dropped)."""
    text = _AUTOLINK.sub(r"\1", md)
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])", r"\1", text)
    text = text.replace("*", "")
    return " ".join(text.split())


def _inline_html(md: str) -> str:
    """Markdown inline → HTML (escaped; emphasis, links and autolinks)."""
    out = html.escape(md, quote=False)
    out = re.sub(r"&lt;(https?://[^&\s]+)&gt;", lambda m: f'<a href="{html.escape(m.group(1))}">{m.group(1)}</a>', out)

    def link(m: re.Match[str]) -> str:
        label, href = m.group(1), m.group(2)
        if href in ("", "#"):
            return label
        return f'<a href="{html.escape(href)}">{label}</a>'

    out = _MD_LINK.sub(link, out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", out)
    return out.replace("*", "")


def _embed(para: str) -> Embed:
    m = _EMBED_START.match(para)
    assert m is not None
    rest = para[m.end():]
    text = _plain(rest)
    links = _AUTOLINK.findall(rest) + [u for u in _BARE_URL.findall(_MD_LINK.sub("", _AUTOLINK.sub("", rest)))]
    return Embed(
        kind="post",
        author="@" + m.group(1).lstrip("@"),
        text=text,
        hashtags=list(dict.fromkeys(_HASHTAG.findall(text))),
        links=list(dict.fromkeys(links)),
    )


def _entry(block: _Block, when: datetime, entry_id: str) -> RawEntry:
    texts: list[str] = []
    htmls: list[str] = []
    embeds: list[Embed] = []
    for para in _paragraphs(block.lines):
        if start := _EMBED_START.match(para):
            embed = _embed(para)
            embeds.append(embed)
            texts.append(f"{embed.author}: {embed.text}")
            htmls.append(f'<blockquote class="embed"><p>{_inline_html(para[start.end():].strip())}'
                         f"</p>&mdash; {html.escape(embed.author or '')}</blockquote>")
        else:
            texts.append(_plain(para))
            htmls.append(f"<p>{_inline_html(para)}</p>")
    return RawEntry(
        id=entry_id,
        body_text="\n\n".join(t for t in texts if t),
        body_html="".join(htmls),
        published_at=when,
        embeds=embeds,
    )


def parse_markdown(text: str, story: str, *, today: date | None = None) -> ParsedPage:
    """Parse a Markdown live-blog page into raw entries, oldest first.

    ``today`` is the date used when the page prints none (defaults to the current UTC date).
    Raises :class:`ParseError` when the page has no time-marked entry.
    """
    if "\x00" in text:
        raise ParseError("the document contains NUL bytes; it is not a text page")
    headline: str | None = None
    page_day: date | None = None
    blocks: list[_Block] = []
    for line in text.splitlines():
        marker = _TIME_MARKER.match(line)
        if marker:
            hour, minute = int(marker.group(1)), int(marker.group(2))
            if hour > 23 or minute > 59:
                raise ParseError(f"impossible time in entry marker: {line.strip()!r}")
            blocks.append(_Block(hour, minute, marker.group(3), page_day))
            continue
        day = _parse_date(line)
        if day is not None:
            page_day = day
            if blocks and not blocks[-1].lines:
                blocks[-1].day = day  # a date line right under a marker belongs to that entry
            continue
        if blocks:
            blocks[-1].lines.append(line)
        elif headline is None:
            h = _HEADLINE.match(line)
            if h:
                headline = _plain(h.group(1))
    if not blocks:
        raise ParseError("no live-blog entries found (expected bold time markers such as **19:16 GMT**)")

    fallback = today or datetime.now(UTC).date()
    # The page is newest first: walking down, a time later than the one above means the day before.
    times: list[datetime] = []
    prev: datetime | None = None
    day_shift = 0
    for block in blocks:
        offset = zone_offset(block.zone)
        if offset is None:
            raise ParseError(f"unknown time zone {block.zone!r} at {block.hour:02d}:{block.minute:02d}")
        base_day = block.day or fallback
        local = datetime(base_day.year, base_day.month, base_day.day, block.hour, block.minute, tzinfo=UTC)
        local -= timedelta(days=day_shift)
        if prev is not None and local - offset > prev and block.day == blocks[len(times) - 1].day:
            day_shift += 1
            local -= timedelta(days=1)
        when = local - offset
        times.append(when)
        prev = when

    entries: list[RawEntry] = []
    per_minute: dict[datetime, int] = {}
    # oldest first; entries of the same minute keep their page order reversed (the lower one is older)
    for block, when in sorted(reversed(list(zip(blocks, times, strict=True))), key=lambda bt: bt[1]):
        if not any(_plain(para) for para in _paragraphs(block.lines)):
            continue  # a time marker with nothing under it
        ordinal = per_minute.get(when, 0)
        per_minute[when] = ordinal + 1
        entries.append(_entry(block, when, entry_id_for_time(story, when, ordinal)))
    return ParsedPage(headline=headline, entries=entries)

