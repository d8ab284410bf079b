"""The entry's language (ISO 639-1).

Fast path: count the function words of common Latin-script languages ("the", "und",
"les"…); a clear winner (at least 3 hits and twice the runner-up) is the answer. Anything
else (short texts, other scripts, close calls) goes to py3langid, whose model ships inside
the package and is loaded on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from newswire.schemas import Entry

__all__ = ["language", "detect_language", "load_model"]

_FUNCTION_WORDS = {
    "en": "the and of to is in that was for with on are as have has this from by not said will were been",
    "fr": "le la les des est et une un du dans pour que qui pas sur au avec ce sont ont été par aux",
    "de": "der die das und ist nicht ein eine den dem zu mit von sich auf für auch wird sind des im",
    "es": "el la los las de que y en un una es por para con del se al lo como más pero sus ha",
    "it": "il la di che e un una per non del della sono gli è le con si da nel alla ha",
    "pt": "o a os as de que e um uma em para com não do da no na por se mais foi são",
    "nl": "de het een en van is dat op te in niet zijn met voor ook er aan maar wordt",
}
_WORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _code, _words in _FUNCTION_WORDS.items():
    for _word in _words.split():
        _WORD_LANGUAGES[_word] = (*_WORD_LANGUAGES.get(_word, ()), _code)
_FUNCTION_WORD_SET = frozenset(_WORD_LANGUAGES)
_WORDS = re.compile(r"[^\W\d_]+")
#: A letter none of the fast path's languages writes (their letters are ASCII and Latin-1's, with œ): Polish "ł",
#: Czech "ř", Turkish "ş" and every other script go to py3langid, whose function-word count would read Polish "na",
#: "do" as Portuguese.
_NOT_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u00ff\u0152\u0153]")
_SAMPLE = 600
#: Every ASCII character but a-z to a space: on ASCII text, splitting after it finds the words ``_WORDS`` finds.
_ASCII_NOT_LOWER = str.maketrans({chr(code): " " for code in range(128) if not "a" <= chr(code) <= "z"})


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def load_model() -> None:
    """Load py3langid's model now (about 0.7 s) rather than on the first text that needs it."""
    _identifier()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there are no letters."""
    sample = text[:_SAMPLE]
    lowered = sample.lower()
    words = lowered.translate(_ASCII_NOT_LOWER).split() if lowered.isascii() else _WORDS.findall(lowered)
    if not words:
        return None
    if sample.isascii() or not _NOT_LATIN_LETTER.search(sample):
        # One code per function word per language it belongs to, listed in C; the order of the counts
        # does not matter: a tie is no winner.
        function_words = filter(_FUNCTION_WORD_SET.__contains__, words)
        codes = list(chain.from_iterable(map(_WORD_LANGUAGES.__getitem__, function_words)))
        ranked = sorted([(code, codes.count(code)) for code in set(codes)], key=itemgetter(1), reverse=True)
        if ranked and ranked[0][1] >= 3 and (len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]):
            return ranked[0][0]
    return _classify(sample)


@lru_cache(maxsize=4096)
def _classify(sample: str) -> str:
    """py3langid's answer (60-400 µs), remembered: short posts come again as replays and edits."""
    code, _ = _identifier().classify(sample)
    return str(code)


def language(entry: Entry) -> dict[str, Any]:
    """The language of the body text."""
    return {"language": detect_language(entry.body_text)}
