"""A ninjs view of an entry: IPTC's News in JSON 3.x, the format newsroom systems exchange.

:func:`to_ninjs` is the one place that maps an :class:`~newswire.schemas.model.Entry` to ninjs.
The processor writes its output to ``newswire.entries.ninjs`` when ``NEWSWIRE_PROCESSOR_NINJS_TOPIC=true``.

Mapping (ninjs property ← entry field):

- ``uri`` ← ``urn:newswire:entry:{story}:{id}`` (percent-encoded); ``version`` ← ``version``
- ``firstCreated`` ← ``published_at``; ``versionCreated`` ← ``ts`` (when this version was published)
- ``pubStatus`` ← ``canceled`` for ``op == "delete"``, else ``usable``; ``urgency`` 3 for a key event
- ``headlines``, ``bodies`` (``text/plain`` and ``text/html``), ``by`` ← author, ``language``
- ``people``, ``places`` (with a GeoJSON point where coordinates are known), ``organisations``
- ``subjects`` ← hashtags (rel ``hashtag``), mentions (rel ``mention``), keywords (rel ``keyword``)
- ``associations`` ← embedded posts; ``renditions`` ← the entry's web page (``url``)
- ``altIds`` ← entry id, story, fingerprint; ``slugline`` ← story

Entry fields with no ninjs property (``quotes``, ``links``, ``seq``, ``epoch``) stay in
``newswire.entries``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from .model import Embed, Entry, Place

__all__ = ["NINJS_VERSION", "NINJS_SCHEMA_URI", "KEY_EVENT_URGENCY", "entry_uri", "to_ninjs"]

NINJS_VERSION = "3.1"
NINJS_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
PROFILE = "newswire-entry"
#: ninjs urgency runs from 1 (most urgent) to 9; key events of a live blog are marked 3, others carry none.
KEY_EVENT_URGENCY = 3


def entry_uri(story: str, entry_id: str) -> str:
    """A URN identifying an entry across versions: ``urn:newswire:entry:{story}:{id}``."""
    return f"urn:newswire:entry:{quote(story, safe='')}:{quote(entry_id, safe='')}"


def _iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as ninjs' ``date-time`` expects (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _is_web_uri(value: str | None) -> bool:
    return bool(value) and value.startswith(("http://", "https://"))  # type: ignore[union-attr]


def _place(place: Place) -> dict[str, Any]:
    out: dict[str, Any] = {"name": place.name, "rel": "mentioned"}
    if place.lat is not None and place.lon is not None:
        out["geoJSON"] = {"type": "Point", "coordinates": [place.lon, place.lat]}
    return out


def _bodies(text: str, html: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    if text:
        bodies.append({"role": "main", "contentType": "text/plain", "value": text,
                       "charCount": len(text), "wordCount": len(text.split())})
    if html:
        bodies.append({"role": "main", "contentType": "text/html", "value": html})
    return bodies


def _subjects(entry: Entry) -> list[dict[str, Any]]:
    return (
        [{"name": tag, "rel": "hashtag"} for tag in entry.hashtags]
        + [{"name": handle, "rel": "mention"} for handle in entry.mentions]
        + [{"name": word, "rel": "keyword"} for word in entry.keywords]
    )


def _association(uri: str, index: int, embed: Embed) -> dict[str, Any]:
    """An embedded post as an associated ninjs object (ninjs requires ``name`` and ``uri`` there)."""
    out: dict[str, Any] = {
        "name": f"embed-{index}",
        "rel": embed.kind,
        "uri": embed.url if _is_web_uri(embed.url) else f"{uri}:embed:{index}",
        "type": "text",
    }
    if embed.text:
        out["bodies"] = [{"contentType": "text/plain", "value": embed.text}]
    if embed.author:
        out["by"] = embed.author
    if embed.hashtags:
        out["subjects"] = [{"name": tag, "rel": "hashtag"} for tag in embed.hashtags]
    return out


def to_ninjs(entry: Entry) -> dict[str, Any]:
    """The ninjs 3.1 object for ``entry``: a plain dict ready for ``orjson.dumps``.

    Empty lists and absent values are left out rather than written as ``[]`` or ``null``
    (ninjs does not allow ``null``).
    """
    uri = entry_uri(entry.story, entry.id)
    item: dict[str, Any] = {
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA_URI},
        "uri": uri,
        "type": "text",
        "representationType": "full",
        "profile": PROFILE,
        "version": str(entry.version),
        "firstCreated": _iso(entry.published_at),
        "versionCreated": _iso(_from_epoch_ms(entry.ts)),
        "pubStatus": "canceled" if entry.op == "delete" else "usable",
        "slugline": entry.story,
        "altIds": [
            {"role": "newswire:id", "value": entry.id},
            {"role": "newswire:story", "value": entry.story},
        ],
    }
    if entry.fingerprint:
        item["altIds"].append({"role": "newswire:fingerprint", "value": entry.fingerprint})
    if entry.key_event:
        item["urgency"] = KEY_EVENT_URGENCY
    if entry.language:
        item["language"] = entry.language
    if entry.headline:
        item["headlines"] = [{"role": "main", "value": entry.headline}]
    if entry.author:
        item["by"] = entry.author
    optional: dict[str, list[dict[str, Any]]] = {
        "bodies": _bodies(entry.body_text, entry.body_html),
        "people": [{"name": p.name, "rel": "mentioned"} for p in entry.people],
        "places": [_place(p) for p in entry.places],
        "organisations": [{"name": o.name, "rel": "mentioned"} for o in entry.organisations],
        "subjects": _subjects(entry),
        "associations": [_association(uri, i, e) for i, e in enumerate(entry.embeds, start=1)],
        "renditions": [{"name": "web", "href": entry.url, "contentType": "text/html"}]
        if _is_web_uri(entry.url) else [],
    }
    item.update({name: value for name, value in optional.items() if value})
    return item
