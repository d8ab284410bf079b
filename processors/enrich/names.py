"""Names in a text: capitalised phrases classified as people, organisations or places.

Rules, in order, for each capitalised phrase (possessives end a phrase, ``of``/``for``
join only organisation names, particles such as ``al-``/``von`` join people's names):

Only Latin-script names are recognised.

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
from typing import Literal, NamedTuple

from .gazetteer import (
    DEMONYMS,
    GIVEN_NAMES,
    KNOWN_ORGS,
    LOCATIVES,
    NOT_NAMES,
    ORG_WORDS,
    PLACES,
    SPEECH_VERBS,
    TITLES,
    GeoPlace,
)

__all__ = ["Mention", "analyse", "PRONOUNS"]

Kind = Literal["person", "organisation", "place"]

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_CAP_WORD = rf"(?:[{_UPPER}][\w'’.-]*\w|(?:al|el|ad|as|ash|bin|ibn|abu)-[{_UPPER}][\w'’-]*\w)(?:['’]s?)?"
_LINK = r"(?:van|von|der|den|de|da|di|du|del|della|dos|das|bin|ibn|abu|al|el|le|la|ter|ten|y|of|for|the)"
#: A run of capitalised words, with lower-case particles inside; not after @ or inside a URL.
#: (The lookahead first lets the scan skip most positions with one character-class test.)
_PHRASE = re.compile(rf"(?=[{_UPPER}aebi])(?<![@/\w.]){_CAP_WORD}(?:[ \t]+(?:{_LINK}[ \t]+)*{_CAP_WORD})*")
_WORD_IN_PHRASE = re.compile(r"\S+")
_WORDS_AFTER = re.compile(r"[^\W\d_]+")
_POSSESSIVE = ("'s", "’s", "'", "’")
_AUXILIARIES = frozenset("has had have also then later again previously earlier".split())
_LOWER_TITLES = frozenset(t.lower() for t in TITLES) | {"spokesperson", "spokesman", "spokeswoman", "minister"}
_JOINERS = frozenset({"of", "for", "the"})
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


class _Word(NamedTuple):
    text: str
    start: int
    end: int


def _phrases(text: str) -> list[list[_Word]]:
    """Capitalised phrases, split at possessives, at words that name nothing and at of/for
    that do not continue an organisation's name ("Ministry of Defence" stays whole)."""
    phrases: list[list[_Word]] = []
    for match in _PHRASE.finditer(text):
        offset = match.start()
        matched = match.group(0)
        if " " not in matched and "\t" not in matched:
            # Most phrases are one word: the same rules as below and in _trim, without the second scan.
            if matched.endswith(_POSSESSIVE) and len(matched) > 2:
                matched = matched[:-2] if matched.endswith("s") else matched[:-1]
            if matched not in NOT_NAMES and ((len(matched) >= 2 and matched[0].isupper()) or "-" in matched):
                phrases.append([_Word(matched, offset, offset + len(matched))])
            continue
        pieces: list[list[_Word]] = []
        current: list[_Word] = []
        words = [(offset + w.start(), w.group(0)) for w in _WORD_IN_PHRASE.finditer(matched)]
        for start, word in words:
            possessive = word.endswith(_POSSESSIVE) and len(word) > 2
            if possessive:
                word = word[:-2] if word.endswith("s") else word[:-1]
            if word in NOT_NAMES or len(word) < 2 and word[0].isupper():
                if current:
                    pieces.append(current)
                current = []
                continue
            if word in _JOINERS and not any(w.text in ORG_WORDS for w in current):
                if current:
                    pieces.append(current)
                current = []
                continue
            current.append(_Word(word, start, start + len(word)))
            if possessive:
                pieces.append(current)
                current = []
        if current:
            pieces.append(current)
        phrases += [trimmed for trimmed in map(_trim, pieces) if trimmed]
    return phrases


def _is_name_word(word: str) -> bool:
    return word[0].isupper() or "-" in word


def _trim(phrase: list[_Word]) -> list[_Word]:
    """Without lower-case particles at either end ("of the" left over by a split)."""
    if _is_name_word(phrase[0].text) and _is_name_word(phrase[-1].text):
        return phrase
    start, end = 0, len(phrase)
    while start < end and not _is_name_word(phrase[start].text):
        start += 1
    while end > start and not _is_name_word(phrase[end - 1].text):
        end -= 1
    return phrase[start:end]


def _word_before(text: str, position: int) -> str:
    """The word just before a position, within the same line ("" at a line start)."""
    window = text[max(0, position - 30) : position]
    if "\n" in window:
        window = window.rsplit("\n", 1)[1]
    words = window.split()
    return words[-1].strip(",;:-–—'\"“”(") if words else ""


def _followed_by_speech(text: str, position: int) -> bool:
    for word in _WORDS_AFTER.findall(text, position, position + 40)[:4]:
        lowered = word.lower()
        if lowered in SPEECH_VERBS:
            return True
        if lowered not in _AUXILIARIES:
            return False
    return False


def _place(words: str, before: str) -> GeoPlace | None:
    place = PLACES.get(words)
    if place is None:
        return None
    if place.is_country or " " in words:
        return place
    if (words in GIVEN_NAMES or place.population < _SMALL_CITY) and before.lower() not in LOCATIVES:
        return None
    return place


def _classify(text: str, phrase: list[_Word]) -> tuple[Kind, list[_Word]] | None:
    words = [w.text for w in phrase]
    joined = " ".join(words)
    titles = [position for position, word in enumerate(words) if word in TITLES] if not TITLES.isdisjoint(words) else []
    if titles and titles[-1] < len(words) - 1:
        rest = phrase[titles[-1] + 1 :]
        name = " ".join(w.text for w in rest)
        if name not in PLACES and ORG_WORDS.isdisjoint(w.text for w in rest):
            return "person", rest
    if not ORG_WORDS.isdisjoint(words) or joined in KNOWN_ORGS:
        return ("organisation", phrase) if not titles or titles[-1] < len(words) - 1 else None
    if titles or DEMONYMS.issuperset(words):
        return None
    before = _word_before(text, phrase[0].start)
    if _place(joined, before) is not None:
        return "place", phrase
    if len(words) >= 2 and words[0] in GIVEN_NAMES:
        return "person", phrase
    before_lower = before.lower()
    if before_lower in _LOWER_TITLES:
        return "person", phrase
    if len(words) <= 2 and (before_lower in SPEECH_VERBS or _followed_by_speech(text, phrase[-1].end)):
        return "person", phrase
    return None


@lru_cache(maxsize=512)
def analyse(text: str) -> tuple[Mention, ...]:
    """Every person, organisation and place named in the text, in order of appearance."""
    found: list[tuple[Kind, list[_Word]]] = []
    unknown: list[list[_Word]] = []
    for phrase in _phrases(text):
        result = _classify(text, phrase)
        if result is None:
            unknown.append(phrase)
        else:
            found.append(result)
    full_names: dict[str, str] = {}
    for kind, phrase in found:
        if kind == "person" and len(phrase) >= 2:
            full_names.setdefault(phrase[-1].text, " ".join(w.text for w in phrase))
    for phrase in unknown:
        if len(phrase) == 1 and phrase[0].text in full_names:
            found.append(("person", phrase))
    mentions: list[Mention] = []
    for kind, phrase in found:
        words = " ".join(w.text for w in phrase)
        if kind == "place" and len(phrase) == 1 and words in full_names:
            kind = "person"  # "Kirby" is John Kirby here, not a town
        name = full_names.get(words, words) if kind == "person" else words
        place = PLACES.get(words) if kind == "place" else None
        mentions.append(Mention(name, kind, phrase[0].start, phrase[-1].end, place))
    mentions.sort(key=lambda mention: mention.start)
    return tuple(mentions)
