"""Keywords: the names and content words an entry is about, most frequent first.

Names (people, organisations, places) count double; content words are words of four letters
or more that are not function words, in lower case. At most :data:`MAX_KEYWORDS`.

Function words are English ones, plus those of the entry's language (``entry.language``, set by
the language enricher before this one) from stopwords-iso (the ``stopwordsiso`` package, 50+
languages): without them an Italian entry's keywords were "degli", "hanno", "secondo".
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from itertools import filterfalse
from typing import Any

import stopwordsiso

from newswire.schemas import Entry
from newswire.schemas.model import MAX_TEXT

from .gazetteer import STOPWORDS
from .language import _FUNCTION_WORDS
from .names import analyse
from .text import WordPattern, entry_text

__all__ = ["keywords", "MAX_KEYWORDS"]

MAX_KEYWORDS = 8
_WORDS = WordPattern(r"(?<![#@/\w])[^\W\d_][\w-]{3,}")
#: ``_WORDS`` on lower-cased ASCII text, where its letters are a-z: the scan skips to them in C and tests
#: what comes before only there.
_LOWER_ASCII_WORDS = re.compile(r"[a-z](?<![#@/\w].)[\w-]{3,}+", re.ASCII)
_IGNORED = (
    STOPWORDS
    | frozenset(" ".join(_FUNCTION_WORDS.values()).split())
    | frozenset(
        "also after about would could there their which while where being have been were they them this that with"
        " from into over under more most some such only other than then when will what your just like".split()
    )
)


def _words(text: str, lowered: str) -> list[str]:
    """Each word of four letters or more, lower-cased, in order."""
    if len(lowered) == len(text):  # lower-case the text once rather than word by word
        pattern = _LOWER_ASCII_WORDS if lowered.isascii() else _WORDS.unicode
        return pattern.findall(lowered)
    words = (word.lower() for word in _WORDS.unicode.findall(text))
    return [word for word in words if len(word) <= MAX_TEXT]  # "İ" lower-cases to two characters


@cache
def _function_words(language: str | None) -> frozenset[str]:
    """The words never taken as keywords in a text of ``language`` (English ones always: quotes, names)."""
    if language is None or language == "en" or not stopwordsiso.has_lang(language):
        return _IGNORED
    return _IGNORED | frozenset(word.lower() for word in stopwordsiso.stopwords(language))


def keywords(entry: Entry) -> dict[str, Any]:
    """Up to eight keywords, most frequent first (ties in order of appearance)."""
    text = entry_text(entry)
    mentioned = Counter([mention.name for mention in analyse(text)])
    scores = {name: 2 * count for name, count in mentioned.items()}
    lowered = text.lower()
    words = _words(text, lowered)
    unwanted = {*_function_words(entry.language).intersection(words), *" ".join(mentioned).lower().split()}
    if "http" in lowered:
        unwanted.update(word for word in words if "http" in word)
    # Unwanted words are left out before counting (in C): counting them and deleting them costs more.
    scores.update(Counter(filterfalse(unwanted.__contains__, words)))
    # (Names always hold a capital letter: no word of the lower-cased text is one.)
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)  # stable: ties keep first appearance
    return {"keywords": ranked[:MAX_KEYWORDS]}
