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
3. :meth:`SignatureSet.candidates` compares a new signature with the remembered ones of the
   story and returns those at **estimated Jaccard similarity of word bigrams >= 0.5**
   (:data:`THRESHOLD`), most similar first. A candidate is only that: MinHash cannot tell
   "open" from "closed". :func:`.difference.compare` then lines the two texts up word by word
   and decides. With 64 permutations the standard error of the estimate is about 0.06; the
   threshold is low enough to find a feed copy cut off at half its length.

Where signatures live: the worker keeps, per story, the packed signatures of its last
:data:`MAX_REMEMBERED` live entries in memory (``PartitionState.near`` in
:mod:`.pipeline`) and rebuilds them from the entries on ``newswire.entries`` after a
restart or rebalance (the signature is recomputed from ``body_text``). Nothing is written
per entry: a per-story state of 300 signatures rewritten to a changelog on every entry
cost ~150 KB per write. Beside each signature the set keeps the entry's text, HTML and
embedded posts (:class:`.difference.Post`, references to strings the entry already holds)
for the word-by-word comparison. An entry whose id is already remembered is an edit, never
its own duplicate: its signature is replaced.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np
from datasketch import MinHash

from .difference import Post, Verdict, compare

__all__ = [
    "THRESHOLD", "NUM_PERM", "MAX_REMEMBERED", "MAX_CANDIDATES", "canonical_text", "signature", "signature_bytes",
    "similarity", "SignatureSet", "judge_pair",
]

#: Estimated Jaccard similarity of word bigrams at or above which an earlier entry is a candidate: compared
#: word by word (:mod:`.difference`) to decide whether the two say the same thing.
THRESHOLD = 0.5
#: Candidates compared per entry at most, the most similar first.
MAX_CANDIDATES = 3
#: MinHash permutations: 64 keeps a signature at ~36 µs (dense 1,000-character text) and the estimate's error at ~0.06.
NUM_PERM = 64
#: Signatures remembered per story; the oldest are forgotten first.
MAX_REMEMBERED = 300

_SEED = 7
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
    return hashes[:-1] * _PAIR_MULTIPLIER + hashes[1:]  # type: ignore[no-any-return]  # uint32 wraps, as a hash should


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
        self._posts: list[Post | None] = [None] * capacity
        self._free = list(range(capacity - 1, -1, -1))  # lowest row first, so live rows stay packed low
        self._in_use = 0  # rows [0, _in_use) have been used: comparisons need not look further

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._row_of

    def ids(self) -> list[str]:
        """Remembered ids, oldest first."""
        return list(self._row_of)

    def add(self, entry_id: str, packed: bytes, post: Post | None = None) -> None:
        """Remember (or replace) the signature of ``entry_id`` and what :func:`.difference.compare` needs of it,
        forgetting the oldest beyond capacity."""
        self.discard(entry_id)
        if not self._free:
            self.discard(next(iter(self._row_of)))
        row = self._free.pop()
        self._in_use = max(self._in_use, row + 1)
        self._rows[row] = np.frombuffer(packed, dtype=">u4")
        self._live[row] = True
        self._ids[row] = entry_id
        self._posts[row] = post
        self._row_of[entry_id] = row

    def discard(self, entry_id: str) -> None:
        """Forget ``entry_id`` (nothing if it is not remembered)."""
        row = self._row_of.pop(entry_id, None)
        if row is not None:
            self._live[row] = False
            self._ids[row] = None
            self._posts[row] = None
            self._free.append(row)

    def candidates(self, packed: bytes, *, exclude: str | None = None,
                   limit: int = MAX_CANDIDATES) -> list[tuple[str, Post | None]]:
        """The ids (with their posts) whose signatures reach :data:`THRESHOLD` against ``packed``, most
        similar first, at most ``limit``; ``exclude`` (the entry's own id: an edit is never its own
        duplicate) is skipped."""
        if not self._row_of or (len(self._row_of) == 1 and exclude in self._row_of):
            return []
        used = self._in_use
        matches = (self._rows[:used] == np.frombuffer(packed, dtype=">u4")).sum(axis=1)
        matches[~self._live[:used]] = -1
        excluded = self._row_of.get(exclude) if exclude is not None else None
        if excluded is not None:
            matches[excluded] = -1
        rows = np.flatnonzero(matches >= THRESHOLD * NUM_PERM)
        if not len(rows):
            return []
        best_first = rows[np.argsort(-matches[rows], kind="stable")][:limit]
        return [(self._ids[row], self._posts[row]) for row in best_first if self._ids[row] is not None]


def _values(signature_hex: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(signature_hex), dtype=">u4")


def similarity(first: str, second: str) -> float:
    """Estimated Jaccard similarity of two signatures from :func:`signature`."""
    return float(np.mean(_values(first) == _values(second)))


def judge_pair(kept: Post, new: Post) -> Verdict:
    """The processor's decision for one pair, as :class:`.pipeline.Processor` takes it for a new entry and one
    remembered entry: a candidate when the signatures reach :data:`THRESHOLD`, then :func:`.difference.compare`.
    For the labelled pairs (``bench/quality.py``) and tests."""
    try:
        score = similarity(signature(kept.text), signature(new.text))
    except ValueError:  # a text without words: never a near duplicate
        return Verdict(False, "a text without words")
    if score < THRESHOLD:
        return Verdict(False, f"not a candidate: estimated similarity {score:.2f} < {THRESHOLD}")
    return compare(kept, new)
