"""Names in a text: capitalised phrases classified as people, organisations or places.

Rules, in order, for each capitalised phrase (possessives end a phrase, ``of``/``for``
join only organisation names, particles such as ``al-``/``von`` join people's names):

1. after a title ("Foreign Minister Sergey Lavrov", "spokesperson John Kirby") → person;
2. with an organisation word ("High Negotiations Committee") or a known acronym → organisation;
3. in the gazetteer (countries, cities over 15,000 people, a few regions) → place; a city
   that is also a given name, or small, needs a preposition before it ("in Victoria");
4. a given name then more words ("Salim al-Muslat") → person;
5. a single word next to a speech verb ("Kirby said", "said Peskov") or the surname of a
   person named in full in the same text → person.

:func:`analyse` is cached per text, so enrichers that share it do the work once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .gazetteer import (
    DEMONYMS,
    GIVEN_NAMES,
    KNOWN_ORGS,
    LOCATIVES,
    NAME_PARTICLES,
    NOT_NAMES,
    ORG_WORDS,
    PLACES,
    SPEECH_VERBS,
    TITLES,
    GeoPlace,
)

__all__ = ["Mention", "analyse", "PRONOUNS"]

Kind = Literal["person", "organisation", "place"]

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’.-]*\w)?(?:['’]s?)?|\d[\d,.]*|\S")
_POSSESSIVE = ("'s", "’s", "'", "’")
_AUXILIARIES = frozenset("has had have also then later again previously earlier has".split())
_LOWER_TITLES = frozenset(t.lower() for t in TITLES) | {"spokesperson", "spokesman", "spokeswoman", "minister"}
_JOINERS = frozenset({"of", "for"})
_SMALL_CITY = 50_000
PRONOUNS = frozenset({"he", "she"})


@dataclass(frozen=True, slots=True)
class Mention:
    """A name found in the text; ``name`` is the fullest form of it in the text."""

    name: str
    kind: Kind
    start: int
    end: int
    place: GeoPlace | None = None


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int
    possessive: bool = False


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        token = _Token(word, match.start(), match.end())
        if len(word) > 2 and word.endswith(_POSSESSIVE) and word[0].isalpha():
            cut = 2 if word.endswith("s") else 1
            token.text, token.end, token.possessive = word[:-cut], match.end() - cut, True
        tokens.append(token)
    return tokens


def _capitalised(word: str) -> bool:
    if not word[0].isupper():
        return "-" in word and word.split("-", 1)[0] in NAME_PARTICLES and word.split("-", 1)[1][:1].isupper()
    return word not in NOT_NAMES and (len(word) > 1 or word == "I") and word != "I"


def _spans(tokens: list[_Token]) -> list[list[int]]:
    """Indexes of the tokens of each capitalised phrase."""
    spans: list[list[int]] = []
    current: list[int] = []
    count = len(tokens)
    for index, token in enumerate(tokens):
        word = token.text
        previous = tokens[index - 1].text if index else ""
        if previous in ("@", "/"):
            joined = False
        elif _capitalised(word):
            joined = True
        elif current and index + 1 < count and _capitalised(tokens[index + 1].text) and (
            word in NAME_PARTICLES or (word in _JOINERS and any(tokens[i].text in ORG_WORDS for i in current))
        ):
            joined = True
        else:
            joined = False
        if joined:
            current.append(index)
            if token.possessive:
                spans.append(current)
                current = []
        elif current:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    return spans


def _followed_by_speech(tokens: list[_Token], after: int) -> bool:
    index = after
    skipped = 0
    while index < len(tokens) and tokens[index].text.lower() in _AUXILIARIES and skipped < 3:
        index += 1
        skipped += 1
    return index < len(tokens) and tokens[index].text.lower() in SPEECH_VERBS


def _place(words: str, before: str) -> GeoPlace | None:
    place = PLACES.get(words)
    if place is None:
        return None
    if place.is_country or " " in words:
        return place
    if (words in GIVEN_NAMES or place.population < _SMALL_CITY) and before.lower() not in LOCATIVES:
        return None
    return place


def _classify(tokens: list[_Token], span: list[int]) -> tuple[Kind, list[int]] | None:
    words = [tokens[i].text for i in span]
    first = span[0]
    before = tokens[first - 1].text if first else ""
    titles = [position for position, word in enumerate(words) if word in TITLES]
    if titles and titles[-1] < len(words) - 1:
        rest = span[titles[-1] + 1 :]
        name = " ".join(tokens[i].text for i in rest)
        if name not in PLACES and not any(tokens[i].text in ORG_WORDS for i in rest):
            return "person", rest
    if any(word in ORG_WORDS for word in words) or " ".join(words) in KNOWN_ORGS:
        return ("organisation", span) if not titles or titles[-1] < len(words) - 1 else None
    if titles or all(word in DEMONYMS for word in words):
        return None
    phrase = " ".join(words)
    if _place(phrase, before) is not None:
        return "place", span
    if len(words) >= 2 and words[0] in GIVEN_NAMES:
        return "person", span
    if before.lower() in _LOWER_TITLES:
        return "person", span
    last = span[-1]
    if len(words) <= 2 and (_followed_by_speech(tokens, last + 1) or before.lower() in SPEECH_VERBS):
        return "person", span
    return None


@lru_cache(maxsize=512)
def analyse(text: str) -> tuple[Mention, ...]:
    """Every person, organisation and place named in the text, in order of appearance."""
    tokens = _tokens(text)
    found: list[tuple[Kind, list[int]]] = []
    unknown: list[list[int]] = []
    for span in _spans(tokens):
        result = _classify(tokens, span)
        if result is None:
            unknown.append(span)
        else:
            found.append(result)
    full_names: dict[str, str] = {}
    for kind, span in found:
        if kind == "person" and len(span) >= 2:
            full_names.setdefault(tokens[span[-1]].text, " ".join(tokens[i].text for i in span))
    mentions: list[Mention] = []
    for span in unknown:
        if len(span) == 1 and tokens[span[0]].text in full_names:
            found.append(("person", span))
    for kind, span in found:
        if kind == "place" and len(span) == 1 and tokens[span[0]].text in full_names:
            kind = "person"  # "Kirby" is John Kirby here, not a town
        words = " ".join(tokens[i].text for i in span)
        name = full_names.get(words, words) if kind == "person" else words
        place = PLACES.get(words) if kind == "place" else None
        mentions.append(Mention(name, kind, tokens[span[0]].start, tokens[span[-1]].end, place))
    mentions.sort(key=lambda mention: mention.start)
    return tuple(mentions)
