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
   person named in full in the same text → person (not an acronym: "AFAD said");
6. right after a name: a place that needs a preposition, joined to a place ("Cornwall and
   Devon") → place; words after a person and "of" ("Rebecca Vincent of Reporters Without
   Borders") → organisation.

Words before a person's title that name a place or a known organisation are a name of their own
("UN Secretary-General António Guterres"); hyphenated titles count ("Director-General"), and so
do titles of something ("Secretary of State Antony Blinken": a given name after what the title
is of starts the person's name); a storm's name is no person's ("Storm Ciarán").

:func:`analyse` is cached per text, so enrichers that share it do the work once. Names recur
from entry to entry (a story's people and places come back in every post), so the parts that
depend on a phrase alone are cached too: how a capitalised run splits into phrases and what
their words say without their context, read with one look-up per run (:func:`_readings`; the
verdict on a phrase's words, :func:`_verdict`, is cached apart, as runs share phrases); only
the words around a phrase are looked at per text. Each cache holds up to 16,384 entries.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache, partial
from operator import attrgetter
from typing import Literal, NamedTuple, cast

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
    WEATHER_EVENTS,
    GeoPlace,
)
from .text import WordPattern

__all__ = ["Mention", "Named", "analyse", "named", "forget_phrases", "PRONOUNS"]

Kind = Literal["person", "organisation", "place"]

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_CAP_WORD = rf"(?:[{_UPPER}][\w'’.-]*\w|(?:al|el|ad|as|ash|bin|ibn|abu)-[{_UPPER}][\w'’-]*\w)(?:['’]s?)?"
_LINK = r"(?:van|von|der|den|de|da|di|du|del|della|dos|das|bin|ibn|abu|al|el|le|la|ter|ten|y|of|for|the)"
#: A run of capitalised words, with lower-case particles inside; not after @ or inside a URL, and a hashtag's word
#: alone (group 1 is set after #: a hashtag ends a post's line, the words after it are another name). Its first
#: word is ``_CAP_WORD`` spelt so that the pattern starts with a character class (the scan then skips
#: to candidate characters in C) and the "not after" test is a look-behind past that first character.
_PHRASE = re.compile(
    rf"[{_UPPER}aebi](?<![@/\w.].)(?:(?<=#.)()|)"
    rf"(?:(?<=[{_UPPER}])[\w'’.-]*\w|(?:[lds](?<=al|el|ad|as)|(?:sh|in|bn|bu)(?<=ash|bin|ibn|abu))-[{_UPPER}][\w'’-]*\w)"
    rf"(?:['’]s?)?(?(1)|(?:[ \t]+(?:{_LINK}[ \t]+)*{_CAP_WORD})*)"
)
#: The same runs when none starts with a particle ("al-Muslat" after "said"): a pattern that starts at a
#: capital only, which the scan reaches in C much faster (lower-case a, e, b, i are everywhere).
_PHRASE_FROM_CAPITAL = WordPattern(
    rf"[{_UPPER}](?<![@/\w.].)(?:(?<=#.)()|)[\w'’.-]*\w(?:['’]s?)?(?(1)|(?:[ \t]+(?:{_LINK}[ \t]+)*{_CAP_WORD})*)"
)
_PARTICLES = ("al", "el", "ad", "as", "ash", "bin", "ibn", "abu")
#: The hyphen of a particle that could start a run (not after @, / or a word character).
_PARTICLE_HYPHEN = re.compile(
    "-(?:" + "|".join(rf"(?<={particle}-)(?<![@/\w.]{particle}-)" for particle in _PARTICLES) + rf")[{_UPPER}]"
)
_WORD_IN_PHRASE = re.compile(r"\S+")
_COORDINATION = re.compile(r",? (?:and|or|&) |, ")
_WORDS_AFTER = re.compile(r"[^\W\d_]+")
_POSSESSIVE = ("'s", "’s", "'", "’")
_AUXILIARIES = frozenset("has had have also then later again previously earlier".split())
_LOWER_TITLES = frozenset(t.lower() for t in TITLES) | {"spokesperson", "spokesman", "spokeswoman", "minister"}
_JOINERS = frozenset({"of", "for", "the"})
_SMALL_CITY = 50_000
_CACHED_PHRASES = 16_384
_START = attrgetter("start")
PRONOUNS = frozenset({"he", "she"})


class Mention(NamedTuple):
    """A name found in the text; ``name`` is the fullest form of it in the text."""

    name: str
    kind: Kind
    start: int
    end: int
    place: GeoPlace | None = None


#: A :class:`Mention` from a tuple of all its fields, built in C (the named tuple's own constructor is Python).
_mention: Callable[[tuple[str, Kind, int, int, GeoPlace | None]], Mention] = partial(tuple.__new__, Mention)


#: A phrase's words and the offset of each from the start of the capitalised run holding it.
_Piece = tuple[tuple[str, ...], tuple[int, ...]]


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith("s") else word[:-1]


def _pieces(matched: str) -> tuple[_Piece, ...]:
    """The phrases in one capitalised run: split at possessives, at words that name nothing and at
    of/for that do not continue an organisation's name ("Ministry of Defence" stays whole)."""
    if " " not in matched and "\t" not in matched:
        if matched.endswith(_POSSESSIVE) and len(matched) > 2:
            matched = _strip_possessive(matched)
        if matched not in NOT_NAMES and ((len(matched) >= 2 and matched[0].isupper()) or "-" in matched):
            return (((matched,), (0,)),)
        return ()
    pieces: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for found in _WORD_IN_PHRASE.finditer(matched):
        word = found.group(0)
        possessive = word.endswith(_POSSESSIVE) and len(word) > 2
        if possessive:
            word = _strip_possessive(word)
        if word in NOT_NAMES or len(word) < 2 and word[0].isupper():
            if current:
                pieces.append(current)
            current = []
            continue
        if word in _JOINERS and not any(text in ORG_WORDS for text, _ in current):
            if current:
                pieces.append(current)
            current = []
            continue
        current.append((word, found.start()))
        if possessive:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    trimmed = [_trim(piece) for piece in pieces]
    return tuple((tuple(w for w, _ in piece), tuple(s for _, s in piece)) for piece in trimmed if piece)


def _is_name_word(word: str) -> bool:
    return word[0].isupper() or "-" in word


def _trim(phrase: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Without lower-case particles at either end ("of the" left over by a split)."""
    start, end = 0, len(phrase)
    while start < end and not _is_name_word(phrase[start][0]):
        start += 1
    while end > start and not _is_name_word(phrase[end - 1][0]):
        end -= 1
    return phrase[start:end]


def _word_before(text: str, position: int) -> str:
    """The word just before a position, within the same line ("" at a line start)."""
    window = text[max(0, position - 30) : position]
    if "\n" in window:
        window = window.rsplit("\n", 1)[1]
    words = window.rsplit(None, 1)
    return words[-1].strip(",;:-–—'\"“”(") if words else ""


def _alternation(words: frozenset[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


#: On lower-cased text: up to three auxiliaries, then a speech verb, as the first words within 40 characters
#: (a word is a run of letters); what :func:`_followed_by_speech` checks word by word.
_SPEECH_AFTER = re.compile(
    rf"[\W\d_]*(?:(?:{_alternation(_AUXILIARIES)})(?![^\W\d_])[\W\d_]*){{0,3}}"
    rf"(?:{_alternation(SPEECH_VERBS)})(?![^\W\d_])"
)


def _followed_by_speech(text: str, position: int) -> bool:
    for word in _WORDS_AFTER.findall(text, position, position + 40)[:4]:
        lowered = word.lower()
        if lowered in SPEECH_VERBS:
            return True
        if lowered not in _AUXILIARIES:
            return False
    return False


class _Verdict(NamedTuple):
    """What a phrase's words say on their own: a kind (or None) naming words[first:last], or that
    the words around the phrase decide (``needs_context``), with what they would decide."""

    kind: Kind | None
    first: int
    last: int
    needs_context: bool = False
    place_after_locative: bool = False  # a small city or a given name: a place only after in/at/from…
    short: bool = False  # one or two words: a person when next to a speech verb


_NOTHING = _Verdict(None, 0, 0)


def _is_title(word: str) -> bool:
    """A title, or titles joined by hyphens ("Secretary-General", "Vice-President")."""
    return word in TITLES or ("-" in word and all(part in TITLES for part in word.split("-")))


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


@lru_cache(maxsize=_CACHED_PHRASES)
def _verdict(words: tuple[str, ...]) -> _Verdict:
    """Rules 1-4 of the module docstring, as far as the words alone decide them."""
    count = len(words)
    joined = " ".join(words)
    titles = (
        [position for position, word in enumerate(words) if _is_title(word)]
        if "-" in joined or not TITLES.isdisjoint(words)
        else []
    )
    if titles and titles[-1] < count - 1:
        rest = words[titles[-1] + 1 :]
        if " ".join(rest) not in PLACES and ORG_WORDS.isdisjoint(rest):
            return _Verdict("person", titles[-1] + 1, count)
    if not ORG_WORDS.isdisjoint(words) or joined in KNOWN_ORGS:
        return _Verdict("organisation", 0, count) if not titles or titles[-1] < count - 1 else _NOTHING
    if titles or DEMONYMS.issuperset(words) or words[0] in WEATHER_EVENTS:  # "Storm Ciarán" is no person
        return _NOTHING
    place = PLACES.get(joined)
    if place is not None:
        # a one- or two-letter town ("Do", in Iran) is a word of some language far more often than the town
        if place.is_country or count > 1 or len(joined) > 2 and not (
                joined in GIVEN_NAMES or place.population < _SMALL_CITY):
            return _Verdict("place", 0, count)
    if count >= 2 and words[0] in GIVEN_NAMES:
        return _Verdict("person", 0, count)
    # An acronym next to a speech verb ("AFAD said") is an agency or a company, not a person.
    short = count <= 2 and not any(_is_acronym(word) for word in words)
    return _Verdict(None, 0, count, True, place is not None, short)


def _after_title_of(words: tuple[str, ...]) -> _Verdict | None:
    """After "Secretary of", "Minister for"…: what the title is of, then a given name and more words (a person)."""
    for position in range(1, len(words) - 1):
        if words[position] in GIVEN_NAMES:
            return _Verdict("person", position, len(words))
    return None


def _before_title(words: tuple[str, ...], verdict: _Verdict) -> int:
    """How many words before a person's titles name a place or a known organisation ("UN Secretary-General
    António Guterres", "UK Prime Minister …"): the most that do, or 0."""
    first_title = next((position for position, word in enumerate(words) if _is_title(word)), 0)  # 0: no title
    for count in range(min(first_title, verdict.first), 0, -1):
        owner = _verdict(words[:count])
        if owner.kind == "place" or owner.kind == "organisation" and " ".join(words[:count]) in KNOWN_ORGS:
            return count
    return 0


class _Reading(NamedTuple):
    """One phrase of a capitalised run, read as far as its words allow (offsets from the run's start)."""

    verdict: _Verdict
    name: str  # the words that name it, joined
    words: int  # how many
    last_word: str
    start: int  # of the phrase
    named_start: int  # of the words that name it (after a title)
    end: int
    place: GeoPlace | None  # the gazetteer's entry for the name, if any


@lru_cache(maxsize=_CACHED_PHRASES)
def _readings(matched: str) -> tuple[_Reading, ...]:
    """Each phrase of a capitalised run with its verdict: one cache look-up per run in :func:`analyse`."""
    readings = []
    previous_last, previous_end = "", 0  # the last word of the phrase before and where it ends
    for words, starts in _pieces(matched):
        verdict = _verdict(words)
        if (
            verdict.needs_context
            and _is_title(previous_last)
            and _JOINERS.issuperset(matched[previous_end : starts[0]].split())
        ):
            verdict = _after_title_of(words) or verdict  # "Secretary of State Antony Blinken"
        previous_last, previous_end = words[-1], starts[-1] + len(words[-1])
        if verdict.kind == "person" and verdict.first > 1 and (owned := _before_title(words, verdict)):
            owner, name = _verdict(words[:owned]), " ".join(words[:owned])
            end = starts[owned - 1] + len(words[owned - 1])
            readings.append(_Reading(owner, name, owned, words[owned - 1], starts[0], starts[0], end, PLACES.get(name)))
        named = words[verdict.first : verdict.last] if verdict.kind is not None else words
        end = starts[-1] + len(words[-1])
        named_start = starts[verdict.first]
        name = " ".join(named)
        readings.append(_Reading(verdict, name, len(named), named[-1], starts[0], named_start, end, PLACES.get(name)))
    return tuple(readings)


def _in_context(text: str, lowered: str | None, verdict: _Verdict, start: int, end: int) -> Kind | None:
    """Rules 3 and 5: the word before the phrase and the words after it (``lowered``: the text in lower
    case when its offsets are the text's)."""
    if lowered is None:
        before = _word_before(text, start).lower()
    else:
        before = _word_before(lowered, start)
    if verdict.place_after_locative and before in LOCATIVES:
        return "place"
    if before in _LOWER_TITLES:
        return "person"
    if verdict.short:
        if before in SPEECH_VERBS:
            return "person"
        if lowered is None:
            return "person" if _followed_by_speech(text, end) else None
        return "person" if _SPEECH_AFTER.match(lowered, end, end + 40) else None
    return None


def _after_name(
    text: str, verdict: _Verdict, words: int, previous: Kind | None, previous_end: int, start: int
) -> Kind | None:
    """Rule 6: a name right after another ("Cornwall and Devon": a place; "Rebecca Vincent of Reporters Without
    Borders": an organisation)."""
    if previous == "place" and verdict.place_after_locative and _COORDINATION.fullmatch(text, previous_end, start):
        return "place"
    if previous == "person" and words >= 2 and text.startswith(" of ", previous_end) and previous_end + 4 == start:
        return "organisation"
    return None


def _runs(text: str) -> list[re.Match[str]]:
    """The capitalised runs of ``_PHRASE``, found with the faster ``_PHRASE_FROM_CAPITAL`` when each particle
    that could start a run is inside a run that starts earlier at a capital ("Bashar al-Assad")."""
    runs = list(_PHRASE_FROM_CAPITAL.on(text).finditer(text))
    if "-" in text:
        starts = [run.start() for run in runs]
        for hyphen in _PARTICLE_HYPHEN.finditer(text):
            index = bisect_right(starts, hyphen.start()) - 1
            if index < 0 or runs[index].end() <= hyphen.start():
                return list(_PHRASE.finditer(text))
    return runs


def forget_phrases() -> None:
    """Empty the per-phrase caches (to measure texts whose names were never seen)."""
    _verdict.cache_clear()
    _readings.cache_clear()


@lru_cache(maxsize=512)
def analyse(text: str) -> tuple[Mention, ...]:
    """Every person, organisation and place named in the text, in order of appearance."""
    mentions: list[Mention | None] = []
    #: One-word people and places wait for the full names in the text ("Kirby" is John Kirby here, not a town).
    one_word: list[tuple[int, Kind, str, int, int, GeoPlace | None]] = []  # index in mentions, kind, name, start, end
    unknown: list[tuple[str, int, int]] = []  # one-word phrases that named nothing here
    full_names: dict[str, str] = {}  # surname: the first full name with it
    previous_kind: Kind | None = None  # of the last name found, and where it ends
    previous_end = -1
    lowered: str | None = text.lower()
    if len(text.lower()) != len(text):  # a letter whose lower case is longer
        lowered = None
    for match in _runs(text):
        offset = match.start()
        for verdict, name, words, last_word, start, named_start, end, place in _readings(match.group(0)):
            kind = verdict.kind
            if verdict.needs_context:
                kind = _in_context(text, lowered, verdict, offset + start, offset + end)
                if kind is None and previous_end >= 0:
                    kind = _after_name(text, verdict, words, previous_kind, previous_end, offset + start)
            if kind is None:
                if words == 1:
                    unknown.append((name, offset + start, offset + end))
                continue
            if words == 1 and kind != "organisation":
                one_word.append((len(mentions), kind, name, offset + named_start, offset + end, place))
                mentions.append(None)
            elif kind == "person":
                full_names.setdefault(last_word, name)
                mentions.append(_mention((name, kind, offset + named_start, offset + end, None)))
            else:
                place = place if kind == "place" else None
                mentions.append(_mention((name, kind, offset + named_start, offset + end, place)))
            previous_kind, previous_end = kind, offset + end
    for index, kind, name, start, end, place in one_word:
        if name in full_names:
            mentions[index] = _mention((full_names[name], "person", start, end, None))
        else:
            mentions[index] = _mention((name, kind, start, end, place if kind == "place" else None))
    found = cast(list[Mention], mentions)
    surnames = [Mention(full_names[word], "person", start, end) for word, start, end in unknown if word in full_names]
    if surnames:  # the rest are in order of appearance already
        found += surnames
        found.sort(key=_START)
    return tuple(found)


class Named(NamedTuple):
    """The mentions of :func:`analyse` by kind, each in order of appearance."""

    people: tuple[Mention, ...]
    organisations: tuple[Mention, ...]
    places: tuple[Mention, ...]


@lru_cache(maxsize=512)
def named(text: str) -> Named:
    """The text's mentions by kind, sorted once for the enrichers that each want one kind."""
    people: list[Mention] = []
    organisations: list[Mention] = []
    places: list[Mention] = []
    add = {"person": people.append, "organisation": organisations.append, "place": places.append}
    for mention in analyse(text):
        add[mention.kind](mention)
    return Named(tuple(people), tuple(organisations), tuple(places))
