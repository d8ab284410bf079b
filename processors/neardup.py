"""Near-duplicate detection: the same post arriving twice under different ids or from two sources.

Typical cases: the RSS item and the live-page entry of one update; a post re-sent with
different whitespace, punctuation, tracking links or an ``Update:`` / ``BREAKING:`` prefix.

How it works:

1. :func:`canonical_text` lower-cases the text, removes URLs (two different posts sharing
   one link must not look alike because of it), leading ``Update:``-style labels,
   punctuation and extra whitespace.
2. :func:`signature_bytes` is a MinHash (datasketch, 64 permutations, crc32 of each word
   bigram; unigrams for one-word texts): 256 bytes (:func:`signature` gives it as hex).
3. :func:`most_similar` compares a new signature with the remembered ones of the story.
   **Threshold: estimated Jaccard similarity of word bigrams >= 0.7**
   (:data:`THRESHOLD`). On the labelled pairs in ``tests/data/neardup/pairs.jsonl``
   (``python bench/quality.py``) true duplicates score 0.84-1.0 and the pairs that must
   stay apart (posts sharing a link, follow-ups in the same format, the same fact
   rewritten) score at most 0.52. With 64 permutations the standard error of the
   estimate is about 0.06. A text rewritten by another newsroom is not a duplicate.

Where signatures live: the worker keeps, per story, the packed signatures of its last
:data:`MAX_REMEMBERED` live entries in memory (``PartitionState.near`` in
:mod:`.pipeline`) and rebuilds them from the entries on ``newswire.entries`` after a
restart or rebalance (the signature is recomputed from ``body_text``). Nothing is written
per entry: a per-story state of 300 signatures rewritten to a changelog on every entry
cost ~150 KB per write. :func:`check` is the same rule over a JSON-serialisable per-story
dict, for callers that keep their state elsewhere. An entry whose id is already
remembered is an edit, never its own duplicate: its signature is replaced.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from datasketch import MinHash

__all__ = [
    "THRESHOLD", "NUM_PERM", "MAX_REMEMBERED", "canonical_text", "signature", "signature_bytes", "most_similar",
    "similarity", "check",
]

#: Estimated Jaccard similarity of word bigrams at or above which two entries are duplicates.
THRESHOLD = 0.7
#: MinHash permutations: 64 keeps a signature at ~35 µs and the estimate's error at ~0.06.
NUM_PERM = 64
#: Signatures remembered per story; the oldest are forgotten first.
MAX_REMEMBERED = 300

_SEED = 7
_SCHEME_NAME = f"minhash-{NUM_PERM}-crc32-bigram-s{_SEED}"
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED)
_PERMUTATIONS = _TEMPLATE.permutations
_SCHEME = _TEMPLATE.scheme
#: One sketch reused for every signature (reset before each): building a MinHash parses its permutations
#: each time. Not thread-safe; the worker is single-threaded.
_SKETCH = MinHash(num_perm=NUM_PERM, permutations=_PERMUTATIONS, scheme=_SCHEME, hashfunc=zlib.crc32)
_EMPTY_VALUES = _SKETCH.hashvalues.copy()

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/\S*", re.IGNORECASE)
_LEADING_LABEL = re.compile(
    r"^\s*(?:(?:\d{1,2}[:.]\d{2}\s*(?:gmt|utc|bst|cet|est|edt)?|update(?:d)?(?:\s*\d+)?|breaking(?:\s+news)?"
    r"|just\s+in|developing|latest|new|correction|urgent|flash|live|watch)\s*[:\-–—|]\s*)+",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")


def _canonical_words(text: str) -> list[str]:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if "/" in text or "www." in text:  # every link pattern needs one; the scan costs more than the check
        text = _URL.sub(" ", text)
    previous = None
    while previous != text:  # "UPDATE: BREAKING: …" loses both labels
        previous = text
        text = _LEADING_LABEL.sub("", text)
    return _WORD.findall(text)


def canonical_text(text: str) -> str:
    """The text reduced to what makes it the same post: lower-case words, no links, no labels."""
    return " ".join(_canonical_words(text))


def _shingles(words: list[str]) -> list[bytes]:
    if len(words) < 2:
        return [w.encode() for w in words]
    return [f"{a} {b}".encode() for a, b in zip(words, words[1:], strict=False)]


def signature_bytes(text: str) -> bytes:
    """The MinHash signature of the text's canonical form, packed (``4 * NUM_PERM`` bytes, big-endian).

    Raises :class:`ValueError` when the text has no words (only links or punctuation).
    """
    shingles = _shingles(_canonical_words(text))
    if not shingles:
        raise ValueError("the text has no words to compare")
    _SKETCH.hashvalues = _EMPTY_VALUES.copy()
    _SKETCH.update_batch(shingles)
    return _SKETCH.hashvalues.astype(">u4").tobytes()


def signature(text: str) -> str:
    """:func:`signature_bytes` as hex (equal texts, equal signatures)."""
    return signature_bytes(text).hex()


def most_similar(remembered: Mapping[str, bytes], packed: bytes, *, exclude: str | None = None) -> str | None:
    """The id of the remembered signature most similar to ``packed`` when it reaches :data:`THRESHOLD`.

    ``remembered`` maps entry ids to :func:`signature_bytes`; ``exclude`` (the entry's own id:
    an edit is never its own duplicate) is skipped.
    """
    ids = [entry_id for entry_id in remembered if entry_id != exclude]
    if not ids:
        return None
    matrix = np.frombuffer(b"".join(remembered[i] for i in ids), dtype=">u4").reshape(-1, NUM_PERM)
    scores = (matrix == np.frombuffer(packed, dtype=">u4")).mean(axis=1)
    best = int(np.argmax(scores))
    return ids[best] if scores[best] >= THRESHOLD else None


def _values(signature_hex: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(signature_hex), dtype=">u4")


def similarity(first: str, second: str) -> float:
    """Estimated Jaccard similarity of two signatures from :func:`signature`."""
    return float(np.mean(_values(first) == _values(second)))


def _empty_state() -> dict[str, Any]:
    return {"scheme": _SCHEME_NAME, "ids": [], "signatures": []}


def check(
    state: dict[str, Any] | None, entry_id: str, text: str, *, max_remembered: int = MAX_REMEMBERED
) -> tuple[str | None, dict[str, Any]]:
    """Whether the entry near-duplicates another entry of the story, and the updated state.

    Returns ``(kept_id, new_state)``: ``kept_id`` is the id of the remembered entry it
    duplicates (the most similar one), or ``None`` when the entry is new or an edit of
    itself. A duplicate is not remembered; a new entry or an edit is. The given state is
    not modified. A state from another signature scheme (or ``None``) starts empty.
    Raises :class:`ValueError` for a text with no words.
    """
    if max_remembered < 1:
        raise ValueError("max_remembered must be at least 1")
    new_signature = signature(text)
    if not state or state.get("scheme") != _SCHEME_NAME:
        state = _empty_state()
    ids: list[str] = list(state["ids"])
    signatures: list[str] = list(state["signatures"])
    if entry_id in ids:
        position = ids.index(entry_id)
        del ids[position], signatures[position]
    kept_id = most_similar({i: bytes.fromhex(s) for i, s in zip(ids, signatures, strict=True)},
                           bytes.fromhex(new_signature))
    if kept_id is None:
        ids.append(entry_id)
        signatures.append(new_signature)
        del ids[:-max_remembered], signatures[:-max_remembered]
    elif entry_id in state["ids"]:  # an edit that now duplicates another entry: keep its old signature
        return kept_id, state
    return kept_id, {"scheme": _SCHEME_NAME, "ids": ids, "signatures": signatures}
