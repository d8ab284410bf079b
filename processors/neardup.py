"""Near-duplicate detection: the same post arriving twice under different ids or from two sources.

Typical cases: the RSS item and the live-page entry of one update; a post re-sent with
different whitespace, punctuation, tracking links or an ``Update:`` / ``BREAKING:`` prefix.

How it works:

1. :func:`canonical_text` lower-cases the text, removes URLs (two different posts sharing
   one link must not look alike because of it), leading ``Update:``-style labels,
   punctuation and extra whitespace.
2. :func:`signature_bytes` is a MinHash (datasketch, 64 permutations) of the word bigrams
   (unigrams for one-word texts): each word is hashed once (crc32, remembered for frequent
   words) and a bigram's hash combines its two words' hashes, so no bigram string is built;
   datasketch's murmur3 pre-mix spreads the combined values before its permutations.
   256 bytes (:func:`signature` gives it as hex).
3. :func:`most_similar` compares a new signature with the remembered ones of the story.
   **Threshold: estimated Jaccard similarity of word bigrams >= 0.7**
   (:data:`THRESHOLD`). On the labelled pairs in ``tests/data/neardup/pairs.jsonl``
   (``python bench/quality.py``) true duplicates score 0.86-1.0 and the pairs that must
   stay apart (posts sharing a link, follow-ups in the same format, the same fact
   rewritten) score at most 0.50. With 64 permutations the standard error of the
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
    "similarity", "check", "SignatureSet",
]

#: Estimated Jaccard similarity of word bigrams at or above which two entries are duplicates.
THRESHOLD = 0.7
#: MinHash permutations: 64 keeps a signature at ~36 µs (dense 1,000-character text) and the estimate's error at ~0.06.
NUM_PERM = 64
#: Signatures remembered per story; the oldest are forgotten first.
MAX_REMEMBERED = 300

_SEED = 7
_SCHEME_NAME = f"minhash-{NUM_PERM}-crc32-pairhash-s{_SEED}"
#: The permutations come from datasketch (its "affine32" scheme, which :func:`minhash_values` applies).
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32")
_PERMUTATIONS = _TEMPLATE.permutations

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+/\S*", re.IGNORECASE)
_LEADING_LABEL = re.compile(
    r"^\s*(?:(?:\d{1,2}[:.]\d{2}\s*(?:gmt|utc|bst|cet|est|edt)?|update(?:d)?(?:\s*\d+)?|breaking(?:\s+news)?"
    r"|just\s+in|developing|latest|new|correction|urgent|flash|live|watch)\s*[:\-–—|]\s*)+",
    re.IGNORECASE,
)
#: A word: letters and digits (``\w`` without ``_``).
_WORD = re.compile(r"[^\W_]+")
#: Every ASCII character that is not a letter or a digit, as a space: splitting an ASCII-only text
#: translated with it finds the words of ``_WORD`` in half the time.
_ASCII_NOT_ALNUM = str.maketrans({code: " " for code in range(128) if not chr(code).isalnum()})


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
    if text.isascii():
        return text.translate(_ASCII_NOT_ALNUM).split()
    return _WORD.findall(text)


def canonical_text(text: str) -> str:
    """The text reduced to what makes it the same post: lower-case words, no links, no labels."""
    return " ".join(_canonical_words(text))


#: crc32 of words seen before: news vocabulary repeats, and a lookup costs a fraction of a hash.
_WORD_HASHES: dict[str, int] = {}
_WORD_HASHES_MAX = 200_000
#: Multiplier (FNV prime) that makes a bigram's hash depend on the order of its words.
_PAIR_MULTIPLIER = np.uint32(0x01000193)
_PERMUTATION_A, _PERMUTATION_B = (np.asarray(values, dtype=np.uint32) for values in _PERMUTATIONS)


def _word_hashes(words: list[str]) -> np.ndarray:
    known = _WORD_HASHES
    try:  # in steady state every word is known: one pass straight into the array
        return np.fromiter(map(known.__getitem__, words), dtype=np.uint32, count=len(words))
    except KeyError:
        pass
    if len(known) > _WORD_HASHES_MAX:
        known.clear()
    for word in words:
        if word not in known:
            known[word] = zlib.crc32(word.encode())
    return np.fromiter(map(known.__getitem__, words), dtype=np.uint32, count=len(words))


def shingle_hashes(words: list[str]) -> np.ndarray:
    """32-bit hashes of the word bigrams (of the single word for a one-word text)."""
    hashes = _word_hashes(words)
    if len(hashes) < 2:
        return hashes
    return hashes[:-1] * _PAIR_MULTIPLIER + hashes[1:]  # uint32 arithmetic wraps, as a hash should


def minhash_values(hashes: np.ndarray) -> np.ndarray:
    """datasketch's ``MinHash.update_batch`` for the affine32 scheme on an empty sketch (murmur3 pre-mix, then
    the affine permutations, then the minimum per permutation), as array arithmetic on precomputed hashes:
    the library's per-value Python call was most of a signature's cost. A test checks both agree."""
    mixed = hashes ^ (hashes >> 16)
    mixed *= np.uint32(0x85EBCA6B)
    mixed ^= mixed >> 13
    mixed *= np.uint32(0xC2B2AE35)
    mixed ^= mixed >> 16
    # one row per permutation: the minimum runs along contiguous memory, and the sum is done in place
    permuted = np.multiply.outer(_PERMUTATION_A, mixed)
    permuted += _PERMUTATION_B[:, None]
    return permuted.min(axis=1)  # type: ignore[no-any-return]


def signature_bytes(text: str) -> bytes:
    """The MinHash signature of the text's canonical form, packed (``4 * NUM_PERM`` bytes, big-endian).

    Raises :class:`ValueError` when the text has no words (only links or punctuation).
    """
    shingles = shingle_hashes(_canonical_words(text))
    if not len(shingles):
        raise ValueError("the text has no words to compare")
    return minhash_values(shingles).astype(">u4").tobytes()


def signature(text: str) -> str:
    """:func:`signature_bytes` as hex (equal texts, equal signatures)."""
    return signature_bytes(text).hex()


def most_similar(remembered: Mapping[str, bytes], packed: bytes, *, exclude: str | None = None) -> str | None:
    """The id of the remembered signature most similar to ``packed`` when it reaches :data:`THRESHOLD`.

    ``remembered`` maps entry ids to :func:`signature_bytes`; ``exclude`` (the entry's own id:
    an edit is never its own duplicate) is skipped.
    """
    found = SignatureSet(capacity=max(len(remembered), 1))
    for entry_id, signature_packed in remembered.items():
        found.add(entry_id, signature_packed)
    return found.most_similar(packed, exclude=exclude)


class SignatureSet:
    """The signatures of one story's last ``capacity`` live entries, kept as rows of one array.

    Comparing a new signature with all of them is then one array comparison, instead of packing
    up to :data:`MAX_REMEMBERED` signatures into a matrix for every entry. Adding an id already
    present replaces its signature (an edit); the oldest id is forgotten first.
    """

    def __init__(self, capacity: int = MAX_REMEMBERED) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._rows = np.zeros((capacity, NUM_PERM), dtype=np.uint32)
        self._live = np.zeros(capacity, dtype=bool)
        self._row_of: dict[str, int] = {}  # insertion order = age, oldest first
        self._ids: list[str | None] = [None] * capacity
        self._free = list(range(capacity - 1, -1, -1))  # lowest row first, so live rows stay packed low
        self._in_use = 0  # rows [0, _in_use) have been used: comparisons need not look further

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._row_of

    def ids(self) -> list[str]:
        """Remembered ids, oldest first."""
        return list(self._row_of)

    def add(self, entry_id: str, packed: bytes) -> None:
        """Remember (or replace) the signature of ``entry_id``, forgetting the oldest beyond capacity."""
        self.discard(entry_id)
        if not self._free:
            self.discard(next(iter(self._row_of)))
        row = self._free.pop()
        self._in_use = max(self._in_use, row + 1)
        self._rows[row] = np.frombuffer(packed, dtype=">u4")
        self._live[row] = True
        self._ids[row] = entry_id
        self._row_of[entry_id] = row

    def discard(self, entry_id: str) -> None:
        """Forget ``entry_id`` (nothing if it is not remembered)."""
        row = self._row_of.pop(entry_id, None)
        if row is not None:
            self._live[row] = False
            self._ids[row] = None
            self._free.append(row)

    def most_similar(self, packed: bytes, *, exclude: str | None = None) -> str | None:
        """The id whose signature is most similar to ``packed`` when it reaches :data:`THRESHOLD`,
        skipping ``exclude`` (the entry's own id: an edit is never its own duplicate)."""
        if not self._row_of or (len(self._row_of) == 1 and exclude in self._row_of):
            return None
        used = self._in_use
        matches = (self._rows[:used] == np.frombuffer(packed, dtype=">u4")).sum(axis=1)
        matches[~self._live[:used]] = -1
        excluded = self._row_of.get(exclude) if exclude is not None else None
        if excluded is not None:
            matches[excluded] = -1
        best = int(np.argmax(matches))
        return self._ids[best] if matches[best] >= THRESHOLD * NUM_PERM else None


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
