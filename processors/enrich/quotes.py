"""Quotations and who said them.

A quotation is text of at least three words between double quotes (straight, curly, « »
or „ “). Its speaker is found, in order:

1. after it, in the same sentence: the person or pronoun before the first speech verb
   (``"…," Kirby said``, ``"…," Salim al-Muslat, spokesman for …, has said``), or the
   person right after it (``"…," said Peskov``);
2. before it, in the same sentence: the person or pronoun nearest before a speech verb
   (``Kirby said: "…"``, ``He noted …, adding that "…"``);
3. in the previous sentence: the speaker of a quotation there, or the subject of its
   speech verb (``Peskov has also noted, that …. "…"``).

A pronoun (he, she) stands for the last person named before it. No speaker is better than
a wrong one: a quotation attributed to "a statement" keeps ``speaker: None``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from itertools import islice
from typing import Any

from pydantic import TypeAdapter

from newswire.schemas import Entry, Quote

from .gazetteer import SPEECH_VERBS
from .names import PRONOUNS, Mention, named
from .text import WordPattern, entry_text

__all__ = ["quotes", "find_quotes"]

#: (Each pattern starts with a character or a class of them: the scan skips to candidates in C.)
_QUOTED = re.compile(r'"([^"]+)"|“([^”"]+)”|«([^»]+)»|„([^“”"]+)[“”]')
#: ``_QUOTED`` for a text with no opening quote but the straight one (most texts): the scan for one character is a
#: string search, three times faster than testing every character against the class of four.
_STRAIGHT_QUOTED = re.compile(r'"([^"]+)"')
_MIN_WORDS = 3
_WORD_PATTERN = r"[^\W\d_][\w'’-]*"
_WORD = WordPattern(_WORD_PATTERN)
#: ``_MIN_WORDS`` words of ``_WORD``: each taken whole (possessive), the next from the first letter after it, as
#: ``findall`` finds them; a search stops at the last one needed instead of listing every word of a quotation.
_ENOUGH_WORDS = WordPattern(rf"{_WORD_PATTERN}+(?:(?s:.)*?{_WORD_PATTERN}+){{{_MIN_WORDS - 1}}}")
#: An end mark: a full stop (or ! ?) followed by whitespace, or a line break. Each is also found by a pattern of its
#: own that starts with the mark itself, which the scan finds by a string search, three times faster than testing
#: every character against the class of four (most texts hold only full stops).
_END_MARKS = {mark: re.compile(rf"\{mark}(?=\s)") for mark in ".!?"} | {"\n": re.compile("\n")}
_QUOTES = TypeAdapter(list[Quote])  # one call builds the list (faster than a constructor call per quote)


class _Sentences:
    """Sentence boundaries of a text, found once (a text with several quotations asks many times).

    Each end mark is one character: a full stop (or ! ?) followed by whitespace, or a line break.
    Marks inside quotations end no sentence (a quotation's interior is between its quote marks, so
    whether a mark outside counts never depends on what is inside)."""

    def __init__(self, text: str, interiors: list[tuple[int, int]]) -> None:
        self.text = text
        patterns = [pattern for mark, pattern in _END_MARKS.items() if mark in text]
        if len(patterns) == 1:
            marks = [match.start() for match in patterns[0].finditer(text)]
        else:
            marks = sorted([match.start() for pattern in patterns for match in pattern.finditer(text)])
        self.marks = marks
        for start, end in reversed(interiors):  # (from the last: deleting shifts only the marks after)
            del marks[bisect_left(marks, start) : bisect_left(marks, end)]

    def bounds(self, position: int) -> tuple[int, int]:
        """Start and end of the sentence holding ``position``.

        Same as scanning text[:position] for the last end mark (a full stop counts only when the
        whitespace after it is before ``position``) and text[position:] for the next one."""
        marks = self.marks
        index = bisect_left(marks, position)
        start = 0
        if index:
            last = marks[index - 1]
            if last + 1 < position or self.text[last] == "\n":
                start = last + 1
            elif index > 1:  # a full stop right before ``position``: the mark before it ends the last sentence
                start = marks[index - 2] + 1
        return start, marks[index] + 1 if index < len(marks) else len(self.text)


class _Words:
    """The words of a text, lower-cased once; windows of it are read many times (a few per quotation)."""

    def __init__(self, text: str) -> None:
        lowered = text.lower()
        #: Offsets in the lower-cased text are those of the text unless a letter's lower case is longer.
        self.same_offsets = len(lowered) == len(text)
        self.source = lowered if self.same_offsets else text
        self.pattern = _WORD.on(self.source)

    def lowered(self, start: int, end: int) -> list[str]:
        words = self.pattern.findall(self.source, start, end)
        return words if self.same_offsets else [word.lower() for word in words]

    def starts(self, start: int, end: int, count: int) -> list[int]:
        """Where the first ``count`` words of text[start:end] start."""
        return [match.start() for match in islice(self.pattern.finditer(self.source, start, end), count)]

    def start_of(self, start: int, end: int, index: int, word: str, *, last: bool) -> int:
        """Where the ``index``-th word of text[start:end] starts, knowing it is the first (``last``: the last)
        ``word`` there: found by a search for it when that is surely a whole word, else word by word."""
        if self.same_offsets:
            source = self.source
            position = source.rfind(word, start, end) if last else source.find(word, start, end)
            after = position + len(word)
            if (
                position >= 0
                and (position == start or not _word_char(source[position - 1]))
                and (after >= end or not _word_char(source[after]))
            ):
                return position
        return self.starts(start, end, index + 1)[index]


def _word_char(char: str) -> bool:
    """Whether a character continues a word of ``_WORD`` (``\\w`` is alphanumerics and ``_``)."""
    return char.isalnum() or char in "_'’-"


def _person_before(position: int, people: Sequence[Mention]) -> str | None:
    """The last person named before a pronoun at ``position``: the one it stands for."""
    earlier = [m for m in people if m.end <= position]
    return earlier[-1].name if earlier else None


def _speaker_in(words: _Words, start: int, end: int, people: Sequence[Mention], *, after_quote: bool) -> str | None:
    """The speaker named around a speech verb in text[start:end], or None."""
    lowered = words.lowered(start, end)
    verbs = SPEECH_VERBS.intersection(lowered)
    if not verbs:  # decided without a word-by-word look
        return None
    if after_quote:
        verb_index = min(map(lowered.index, verbs))
    else:
        verb_index = len(lowered) - 1 - min(map(lowered[::-1].index, verbs))
    pronoun_indices = [] if PRONOUNS.isdisjoint(lowered) else [i for i in range(verb_index) if lowered[i] in PRONOUNS]
    starts: list[int] = []
    if pronoun_indices:
        starts = words.starts(start, end, verb_index + 1)
        verb = starts[verb_index]
    else:
        verb = words.start_of(start, end, verb_index, lowered[verb_index], last=not after_quote)
    candidates = [(m.start, m.name) for m in people if start <= m.start and m.end <= verb]
    if pronoun_indices:  # (a pronoun with nobody named before it stands for no one)
        candidates += [(starts[i], name) for i in pronoun_indices if (name := _person_before(starts[i], people))]
    if candidates:
        chosen = min(candidates) if after_quote else max(candidates)
        return chosen[1]
    if after_quote:  # the person right after the verb ("said Peskov"); people are in order of appearance
        after = next((m for m in people if verb < m.start < end), None)
        if after is not None and after.start - verb < 12:
            return after.name
    return None


def find_quotes(text: str) -> list[dict[str, Any]]:
    """Each quotation in the text with its speaker (or None), in order."""
    quotations = _QUOTED if "“" in text or "«" in text or "„" in text else _STRAIGHT_QUOTED
    quoted_spans = list(quotations.finditer(text))
    enough_words = _ENOUGH_WORDS.on(text).search
    matches = [m for m in quoted_spans if enough_words(text, m.start(), m.end())]
    if not matches:
        return []
    people = named(text).people
    sentences = _Sentences(text, [(m.start() + 1, m.end() - 1) for m in quoted_spans])
    words = _Words(text)
    found: list[dict[str, Any]] = []
    previous: tuple[int, str | None] | None = None  # sentence start of the last quotation, its speaker
    for match in matches:
        quoted = match.group(match.lastindex or 0)  # the one group of the alternative that matched
        sentence_start, sentence_end = sentences.bounds(match.start())
        speaker = _speaker_in(words, match.end(), sentence_end, people, after_quote=True)
        if speaker is None:
            speaker = _speaker_in(words, sentence_start, match.start(), people, after_quote=False)
        if speaker is None and sentence_start > 0:
            previous_start, _ = sentences.bounds(max(sentence_start - 2, 0))
            if previous is not None and previous[0] >= previous_start and previous[1]:
                speaker = previous[1]
            else:
                speaker = _speaker_in(words, previous_start, sentence_start, people, after_quote=False)
        previous = (sentence_start, speaker)
        found.append({"text": quoted.strip().rstrip(",").strip(), "speaker": speaker})
    return found


def quotes(entry: Entry) -> dict[str, Any]:
    """Quotations with their speakers, from the entry's text."""
    return {"quotes": _QUOTES.validate_python(find_quotes(entry_text(entry)))}
