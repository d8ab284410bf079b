"""The ninjs view of an entry, validated against the IPTC ninjs 3.1 schema."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import newswire.schemas
from newswire.schemas.model import Embed, Place
from newswire.schemas.ninjs import KEY_EVENT_URGENCY, entry_uri, to_ninjs

REPO_COPY = Path(newswire.schemas.__file__).with_name("standards") / "ninjs-schema_3.1.json"
#: SHA-256 of ninjs-schema_3.1.json as published by IPTC (and kept in the shared standards folder).
NINJS_3_1_SHA256 = "404f578a299bf34e76e98f2de26ad9989882ebd7abf3a4d3cf3aa689b70a8744"

#: ninjs places refer to the GeoJSON schema online; tests run offline, so a stand-in for the one
#: geometry newswire writes (an RFC 7946 Point) answers that reference.
GEOJSON_POINT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"const": "Point"},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3},
    },
}


def ninjs_validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    registry: Registry = Registry().with_resource(  # type: ignore[call-arg]
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(GEOJSON_POINT))
    return Draft202012Validator(schema, registry=registry)


def assert_valid(item: dict[str, Any], path: Path = REPO_COPY) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in ninjs_validator(path).iter_errors(item)]
    assert errors == []


def variants(make_entry: Callable[..., Any]) -> dict[str, Any]:
    """A full entry, a deleted bare one and one with odd ids and half-known data."""
    return {
        "full": make_entry(),
        "deleted-bare": make_entry(op="delete", body_text="", body_html="", headline=None, author=None, url=None,
                                   key_event=False, quotes=[], embeds=[], hashtags=[], mentions=[], links=[],
                                   people=[], places=[], organisations=[], language=None, keywords=[],
                                   fingerprint=""),
        "odd-ids": make_entry(id="entry with spaces/and:colons", story="story.1:live", version=3, op="update",
                              url="not a url", embeds=[Embed(text="", url=None)],
                              places=[Place(name="Nowhere", lat=1.0)]),
    }


@pytest.mark.parametrize("kind", ["full", "deleted-bare", "odd-ids"])
def test_every_kind_of_entry_is_valid_ninjs(kind: str, entry_factory: Callable[..., Any]) -> None:
    """A full, a deleted bare and an oddly named entry all validate against the repo copy of ninjs 3.1."""
    assert_valid(to_ninjs(variants(entry_factory)[kind]))


def test_the_repo_copy_is_the_published_ninjs_3_1_schema() -> None:
    """The schema the view is validated against is IPTC's file unchanged: byte for byte the copy in the
    shared standards folder (its SHA-256 pinned here, so the check runs wherever the tests run)."""
    assert hashlib.sha256(REPO_COPY.read_bytes()).hexdigest() == NINJS_3_1_SHA256


def test_the_validator_refuses_what_ninjs_forbids(entry: Any) -> None:
    """The schema check is live: null values and unknown properties are refused."""
    item = to_ninjs(entry)
    assert not ninjs_validator(REPO_COPY).is_valid({**item, "language": None})
    assert not ninjs_validator(REPO_COPY).is_valid({**item, "seq": 7})
    assert not ninjs_validator(REPO_COPY).is_valid({k: v for k, v in item.items() if k != "uri"})


def test_mapping_of_a_full_entry(entry: Any) -> None:
    """Identity, versions, times, texts and enrichment land in the ninjs properties users look for."""
    item = to_ninjs(entry)
    assert item["uri"] == "urn:newswire:entry:russia-syria-withdrawal:e-1916"
    assert item["type"] == "text" and item["version"] == "1" and item["pubStatus"] == "usable"
    assert item["firstCreated"] == "2016-03-14T19:16:00Z"
    assert datetime.fromisoformat(item["versionCreated"]) == datetime.fromtimestamp(entry.ts / 1000, UTC)
    assert item["headlines"] == [{"role": "main", "value": "Putin orders withdrawal from Syria"}]
    assert [(b["contentType"], b["value"]) for b in item["bodies"]] == [
        ("text/plain", entry.body_text), ("text/html", entry.body_html)]
    assert item["bodies"][0]["wordCount"] == 7
    assert item["by"] == "Al Jazeera" and item["language"] == "en" and item["urgency"] == KEY_EVENT_URGENCY
    assert item["people"] == [{"name": "Vladimir Putin", "rel": "mentioned"}]
    assert item["organisations"] == [{"name": "Kremlin", "rel": "mentioned"}]
    assert item["places"][0]["geoJSON"] == {"type": "Point", "coordinates": [36.29, 33.51]}
    assert "geoJSON" not in item["places"][1]
    assert {(s["name"], s["rel"]) for s in item["subjects"]} == {
        ("Syria", "hashtag"), ("RT_com", "mention"), ("withdrawal", "keyword")}
    assert item["associations"][0]["uri"] == "https://twitter.com/RT_com/status/1"
    assert item["renditions"] == [
        {"name": "web", "href": "https://example.org/live#1916", "contentType": "text/html"}]
    assert {"role": "newswire:id", "value": "e-1916"} in item["altIds"]


def test_deleted_entry_is_canceled_and_empty_fields_are_left_out(entry_factory: Callable[..., Any]) -> None:
    """A delete becomes pubStatus canceled; ninjs gets no empty lists and no nulls."""
    item = to_ninjs(variants(entry_factory)["deleted-bare"])
    assert item["pubStatus"] == "canceled"
    for absent in ("bodies", "headlines", "people", "places", "subjects", "associations", "renditions"):
        assert absent not in item
    assert "urgency" not in item
    assert None not in item.values()


def test_uri_is_stable_across_versions_and_escapes_odd_ids(entry_factory: Callable[..., Any]) -> None:
    """Every version of an entry shares one URI; characters outside a URN's safe set are percent-encoded."""
    first, later = entry_factory(version=1), entry_factory(version=4, op="update")
    assert to_ninjs(first)["uri"] == to_ninjs(later)["uri"]
    assert entry_uri("story.1:live", "a b/c") == "urn:newswire:entry:story.1%3Alive:a%20b%2Fc"
    assert entry_uri("s", "x") != entry_uri("s", "y")


def test_embed_without_a_web_url_gets_a_derived_uri(entry_factory: Callable[..., Any]) -> None:
    """An embedded post keeps a unique uri in associations even without its own link."""
    item = to_ninjs(variants(entry_factory)["odd-ids"])
    assert item["associations"][0]["uri"] == item["uri"] + ":embed:1"
    assert "renditions" not in item
