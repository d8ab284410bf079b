"""People, organisations and places named in an entry (see :mod:`.names` for the rules)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from newswire.schemas import Entry, Organisation, Person, Place

from .gazetteer import PLACES
from .names import named
from .text import entry_text

__all__ = ["people_and_organisations", "places"]

#: Each list is built in one call (faster than a constructor call per item).
_PEOPLE = TypeAdapter(list[Person])
_ORGANISATIONS = TypeAdapter(list[Organisation])
_PLACES = TypeAdapter(list[Place])


def people_and_organisations(entry: Entry) -> dict[str, Any]:
    """People (fullest name in the text, once each) and organisations, in order of appearance."""
    mentions = named(entry_text(entry))
    people = list(dict.fromkeys([m.name for m in mentions.people]))
    in_full_names = {word for name in people if " " in name for word in name.split()}
    people = [name for name in people if name not in in_full_names]  # "Putin" when "Vladimir Putin" is there
    organisations = list(dict.fromkeys([m.name for m in mentions.organisations]))
    return {
        "people": _PEOPLE.validate_python([{"name": name} for name in people]),
        "organisations": _ORGANISATIONS.validate_python([{"name": name} for name in organisations]),
    }


@lru_cache(maxsize=4096)
def _place_fields(name: str) -> dict[str, Any]:
    """A gazetteer place's fields, for validation into a new :class:`Place` (which reads them, never changes them)."""
    place = PLACES[name]
    return {"name": name, "country_code": place.country_code, "lat": place.lat, "lon": place.lon}


def places(entry: Entry) -> dict[str, Any]:
    """Places with ISO 3166-1 country code and coordinates (a country's are its capital's)."""
    seen: dict[str, dict[str, Any]] = {}
    for mention in named(entry_text(entry)).places:
        if mention.place is not None and mention.name not in seen:
            seen[mention.name] = _place_fields(mention.name)  # mention.place is PLACES[mention.name]
    return {"places": _PLACES.validate_python(list(seen.values()))}
