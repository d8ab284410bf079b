"""Keywords: the names and content words an entry is about, most frequent first.

Names (people, organisations, places) count double; content words are words of four letters
or more that are not function words, in lower case. At most :data:`MAX_KEYWORDS`.
"""

from __future__ import annotations

import re
from typing import Any

from newswire.schemas import Entry

from .gazetteer import STOPWORDS
from .language import _FUNCTION_WORDS
from .names import analyse
from .text import entry_text

__all__ = ["keywords", "MAX_KEYWORDS"]

MAX_KEYWORDS = 8
_WORDS = re.compile(r"(?<![#@/\w])[^\W\d_][\w-]{3,}")
_IGNORED = STOPWORDS | frozenset(" ".join(_FUNCTION_WORDS.values()).split()) | frozenset(
    "also after about would could there their which while where being have been were they them this that with"
    " from into over under more most some such only other than then when will what your just like".split()
)


def keywords(entry: Entry) -> dict[str, Any]:
    """Up to eight keywords, most frequent first (ties in order of appearance)."""
    text = entry_text(entry)
    scores: dict[str, float] = {}
    name_words: set[str] = set()
    for mention in analyse(text):
        scores[mention.name] = scores.get(mention.name, 0.0) + 2.0
        name_words.update(mention.name.lower().split())
    for word in _WORDS.findall(text):
        lowered = word.lower()
        if lowered in _IGNORED or lowered in name_words or "http" in lowered:
            continue
        scores[lowered] = scores.get(lowered, 0.0) + 1.0
    ranked = sorted(scores.items(), key=lambda item: -item[1])  # stable: ties keep first appearance
    return {"keywords": [word for word, _ in ranked[:MAX_KEYWORDS]]}
