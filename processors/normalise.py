"""Normalisation of raw entries: one canonical form before dedup, versioning and enrichment.

- text fields: Unicode NFC, zero-width characters removed, runs of spaces collapsed, at most
  one blank line between paragraphs;
- ``published_at``: converted to UTC (a naive time is taken as UTC);
- ``body_html``: sanitised with an allowlist (:func:`sanitise_html`, nh3): no ``<script>``,
  no ``on*=`` handlers, no ``javascript:`` / ``data:`` links, no SVG or MathML;
- ``body_text``: derived from the sanitised HTML when absent; when the producer sends both,
  its plain text is kept (it may format embeds its own way) and normalised the same way;
  ``body_html`` is derived from the text (escaped paragraphs) when absent;
- links (``url``, embeds, ``href`` attributes, URLs in the text): tracking parameters
  removed, scheme and host lower-cased (:func:`clean_url`).

Everything here is pure and deterministic; :func:`fingerprint` is identical across runs and
processes (no salted ``hash()``).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
import orjson

from newswire.schemas import Embed, RawEntry

__all__ = [
    "ALLOWED_TAGS",
    "TRACKING_PARAMS",
    "normalise",
    "normalise_text",
    "sanitise_html",
    "html_to_text",
    "text_to_html",
    "clean_url",
    "fingerprint",
]

#: Tags a live-blog entry may keep. Everything else is removed; the text of unknown
#: tags is kept, the content of ``script``/``style``-like tags is dropped.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
        "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li",
        "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "blockquote": {"cite", "class"},
    "q": {"cite"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_DROP_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math"}
)

#: Query parameters that only track the reader; removed from every link.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
        "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "vero_id", "ref_src", "ref_url", "cmpid", "spm", "share", "smid",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")

_ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, _ZERO_WIDTH_CHARS))
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    {"p", "li", "blockquote", "h2", "h3", "h4", "h5", "h6", "tr", "dd", "dt", "pre", "figure", "figcaption",
     "table",
     "ul", "ol", "hr", "br"}
)  # fmt: skip
_PARAGRAPH_END = re.compile(r"</(?:p|li|blockquote|h[1-6]|tr|dd|dt|pre|figure|figcaption|table|ul|ol)>|<hr>")
_LINE_BREAK = re.compile(r"<br>")
_TAG = re.compile(r"<[^>]*>")
_LINK_ATTRIBUTE = re.compile(r'\b(href|src|cite)="([^"]*)"')


def normalise_text(text: str) -> str:
    """NFC, no zero-width characters, single spaces, paragraphs separated by one blank line."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(char in text for char in _ZERO_WIDTH_CHARS):
        text = text.translate(_DROP_ZERO_WIDTH)
    lines: list[str] = []
    for line in text.split("\n"):
        words = " ".join(line.split())  # str.split() knows every Unicode space
        if words or (lines and lines[-1]):
            lines.append(words)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def clean_url(url: str) -> str:
    """The link without tracking parameters (utm_*, fbclid, gclid…), scheme and host lower-cased.

    Default ports and empty queries are dropped; path, other parameters (in their order) and
    the fragment are kept. A value that is not an http(s) URL, or cannot be parsed, is
    returned stripped and otherwise unchanged: nothing is lost.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        host = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, host, parts.path or "/", query, parts.fragment))


def _clean_link_attribute(match: re.Match[str]) -> str:
    url = clean_url(html_lib.unescape(match.group(2)))
    return f'{match.group(1)}="{html_lib.escape(url)}"'


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_CONTENT),
    attributes={tag: set(attrs) for tag, attrs in _ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(_URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)
_TEXT_BLOCKS_CLEANER = nh3.Cleaner(
    tags=set(_BLOCK_TAGS), clean_content_tags=set(_DROP_CONTENT), attributes={}
)


def sanitise_html(html: str) -> str:
    """HTML reduced to an allowlist of tags and attributes (nh3); links cleaned.

    Removes scripts, styles, event handlers (``on*=``), ``javascript:``, ``data:`` and other
    non-http(s)/mailto URLs, SVG and MathML; adds ``rel="noopener noreferrer"`` to links.
    """
    cleaned = _CLEANER.clean(html)
    if "?" in cleaned:  # only a link with a query can carry tracking parameters
        cleaned = _LINK_ATTRIBUTE.sub(_clean_link_attribute, cleaned)
    return cleaned


def html_to_text(html: str) -> str:
    """The plain text of any HTML: block elements become paragraphs, ``<br>`` a new line,
    entities decoded; scripts, styles and other non-text content dropped."""
    blocks_only = _TEXT_BLOCKS_CLEANER.clean(html)
    return _blocks_to_text(blocks_only)


def _blocks_to_text(html: str) -> str:
    """Text of nh3 output (well-formed, attributes quoted), keeping paragraph breaks."""
    marked = _LINE_BREAK.sub("\n", _PARAGRAPH_END.sub("\n\n", html))
    return normalise_text(html_lib.unescape(_TAG.sub("", marked)))


def text_to_html(text: str) -> str:
    """Escaped paragraphs (``<p>``) for a plain-text body; single newlines become ``<br>``."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{html_lib.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _clean_urls_in_text(text: str) -> str:
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: clean_url(m.group(0)), text)


def _to_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = normalise_text(value)
    return cleaned or None


def _normalise_embed(embed: Embed) -> Embed:
    return embed.model_copy(
        update={
            "author": _optional_text(embed.author),
            "text": _clean_urls_in_text(normalise_text(embed.text)),
            "hashtags": [normalise_text(h).lstrip("#") for h in embed.hashtags if h.strip("# ")],
            "links": list(dict.fromkeys(clean_url(u) for u in embed.links if u.strip())),
            "url": clean_url(embed.url) if embed.url else embed.url,
        }
    )


def normalise(entry: RawEntry) -> RawEntry:
    """The entry in canonical form (see the module docstring); the input is not modified.

    Raises :class:`ValueError` when sanitising leaves no text at all (an entry of only a
    script, say): such an entry would be published empty.
    """
    html = sanitise_html(unicodedata.normalize("NFC", entry.body_html)) if entry.body_html else ""
    if entry.body_text and entry.body_text.strip():
        text = _clean_urls_in_text(normalise_text(entry.body_text))
    else:
        text = _blocks_to_text(html) if html else ""
    if not text:
        raise ValueError("the entry has no text left after sanitising its HTML")
    if not html.strip():
        html = text_to_html(text)
    return entry.model_copy(
        update={
            "body_text": text,
            "body_html": html,
            "published_at": _to_utc(entry.published_at),
            "author": _optional_text(entry.author),
            "headline": _optional_text(entry.headline),
            "url": clean_url(entry.url) if entry.url else entry.url,
            "embeds": [_normalise_embed(e) for e in entry.embeds],
        }
    )


def fingerprint(entry: RawEntry) -> str:
    """A stable hash (32 hex digits) of the entry's content: equal content, equal fingerprint.

    Covers text, HTML, headline, author, url, key_event, published_at and embeds; not the
    id. Call it on a normalised entry so that whitespace or tracking links change nothing.
    """
    published = entry.published_at.astimezone(UTC).isoformat() if entry.published_at else None
    content = {
        "body_text": entry.body_text or "",
        "body_html": entry.body_html or "",
        "headline": entry.headline,
        "author": entry.author,
        "url": entry.url,
        "key_event": entry.key_event,
        "published_at": published,
        "embeds": [e.model_dump() for e in entry.embeds],
    }
    return hashlib.blake2b(orjson.dumps(content, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
