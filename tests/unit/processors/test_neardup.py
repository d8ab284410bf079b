"""Near-duplicate candidates: canonical words, MinHash signatures, the per-story signature set."""

from __future__ import annotations

import re
import unicodedata
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.processors.difference import post_of
from newswire.processors.neardup import (
    THRESHOLD,
    SignatureSet,
    canonical_text,
    signature,
    signature_bytes,
    similarity,
)


def test_canonical_text_drops_labels_links_and_punctuation() -> None:
    """Update labels, links, punctuation and case do not count."""
    text = "UPDATE 2: BREAKING — Putin orders withdrawal!! https://on.rt.com/76wy?utm_source=x"
    assert canonical_text(text) == "putin orders withdrawal"


def test_signature_is_stable() -> None:
    """Signatures are the same across processes (no salted hash)."""
    assert signature("Putin orders withdrawal")[:16] == signature("putin ORDERS withdrawal.")[:16]
    assert signature("Putin orders withdrawal")[:16] == "677998276d2b2239"


@pytest.mark.parametrize("text", ["", "   ", "https://on.rt.com/76wy", "!!! ..."])
def test_text_without_words_is_an_error(text: str) -> None:
    """A text with nothing to compare raises ValueError."""
    with pytest.raises(ValueError, match="no words"):
        signature_bytes(text)


def test_capacity_must_be_positive() -> None:
    """A bound below one is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        SignatureSet(capacity=0)


def test_signature_arithmetic_matches_datasketch() -> None:
    """The array MinHash gives exactly datasketch's own MinHash of the same shingle hashes."""
    from datasketch import MinHash

    from newswire.processors.neardup import _PERMUTATIONS, NUM_PERM, minhash_values, shingle_hashes

    words = "the convoy reached the border crossing overnight and the ceasefire held".split()
    hashes = shingle_hashes(words)
    sketch = MinHash(num_perm=NUM_PERM, permutations=_PERMUTATIONS, scheme="affine32", hashfunc=int)
    sketch.update_batch(hashes.tolist())
    assert minhash_values(hashes).tolist() == sketch.hashvalues.tolist()
    assert len(set(hashes.tolist())) == len(words) - 1  # 11 distinct bigrams, none collapsed


def test_candidates_are_the_similar_posts_most_similar_first() -> None:
    """candidates() returns the remembered posts at or above the threshold, best first, skipping the excluded id."""
    texts = {
        "a": "Russian jets left the Hmeymim airbase in Latakia on Tuesday morning, the ministry said",
        "b": "Talks in Geneva resumed with the opposition delegation after a two-day pause",
        "c": "Talks in Geneva resumed with the opposition delegation after a pause",
        "d": "The UN envoy said aid convoys reached three besieged towns near Damascus overnight",
    }
    found = SignatureSet()
    for entry_id, text in texts.items():
        found.add(entry_id, signature_bytes(text), post_of(text))
    repost = signature_bytes("UPDATE: Talks in Geneva resumed with the opposition delegation after a two-day pause!")
    candidates = found.candidates(repost)
    assert [entry_id for entry_id, _ in candidates] == ["b", "c"]
    assert candidates[0][1] == post_of(texts["b"])
    assert [entry_id for entry_id, _ in found.candidates(repost, exclude="b")] == ["c"]
    assert [entry_id for entry_id, _ in found.candidates(repost, limit=1)] == ["b"]
    assert found.candidates(signature_bytes("Something else entirely happened in another town today")) == []
    reference = [i for i, text in texts.items() if similarity(signature(text), repost.hex()) >= THRESHOLD]
    assert sorted(reference) == ["b", "c"]


def test_signature_set_forgets_the_oldest_and_replaces_edits() -> None:
    """Past capacity the oldest id goes; adding a known id replaces its signature; discard forgets."""
    found = SignatureSet(capacity=2)
    found.add("one", signature_bytes("first post about the convoy at the border crossing"))
    found.add("two", signature_bytes("second post about talks in Geneva with the delegation"))
    found.add("one", signature_bytes("first post edited: the convoy crossed the border at dawn"))
    assert found.ids() == ["two", "one"]
    found.add("three", signature_bytes("third post about the airbase in Latakia province"))
    assert found.ids() == ["one", "three"]
    assert found.candidates(signature_bytes("second post about talks in Geneva with the delegation")) == []
    found.discard("one")
    assert "one" not in found and len(found) == 1


def _reference_words(text: str) -> list[str]:
    """The canonical words by their definition: one Unicode pattern for every text, no ASCII shortcut."""
    from newswire.processors.neardup import _LEADING_LABEL, _URL

    text = _URL.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    previous = None
    while previous != text:
        previous, text = text, _LEADING_LABEL.sub("", text)
    return re.findall(r"[^\W_]+", text)


@given(st.text(alphabet=st.characters(codec="ascii"))
       | st.text(alphabet=st.sampled_from("ab_9 -:/.\t\x1f\x0b\u00e9\u00df\u0130\ufb01\u2460\u3000"))
       | st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_canonical_words_are_the_letter_and_digit_runs_on_any_text(text: str) -> None:
    """The words compared are the runs of letters and digits, whether the text is ASCII-only or not."""
    from newswire.processors.neardup import _canonical_words

    assert _canonical_words(text) == _reference_words(text)
    assert canonical_text(text) == " ".join(_reference_words(text))


def test_word_hashes_are_crc32_for_known_and_new_words() -> None:
    """Each word's hash is its crc32, whether it was seen before or not (a text mixing both)."""
    from newswire.processors.neardup import _word_hashes

    _word_hashes(["convoy", "border"])
    words = ["convoy", "never-seen-zq", "border", "ünïcödé", "convoy"]
    assert _word_hashes(words).tolist() == [zlib.crc32(word.encode()) for word in words]
