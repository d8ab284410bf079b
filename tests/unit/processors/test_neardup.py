"""Near-duplicate detection across ids and sources."""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.processors.neardup import THRESHOLD, canonical_text, check, signature, similarity

PAIRS = Path(__file__).parents[2] / "data" / "neardup" / "pairs.jsonl"
KIRBY = (
    "The US State Department has not yet assessed reports of Moscow's decision to withdraw Russia's air "
    "group from Syria, according to the department's spokesperson John Kirby."
)


def _pairs() -> list[dict[str, object]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_canonical_text_drops_labels_links_and_punctuation() -> None:
    """Update labels, links, punctuation and case do not count."""
    text = "UPDATE 2: BREAKING — Putin orders withdrawal!! https://on.rt.com/76wy?utm_source=x"
    assert canonical_text(text) == "putin orders withdrawal"


def test_labelled_pairs_are_classified_correctly() -> None:
    """Every labelled pair, including posts that share a link, is on the right side of the threshold."""
    scored = [(pair, similarity(signature(str(pair["a"])), signature(str(pair["b"])))) for pair in _pairs()]
    wrong = [(pair["why"], score) for pair, score in scored if (score >= THRESHOLD) != pair["duplicate"]]
    assert wrong == []


def test_check_reports_the_kept_entry_for_a_duplicate() -> None:
    """A re-post under another id returns the first id and is not remembered."""
    kept, state = check(None, "page-1", KIRBY)
    assert kept is None
    kept, after = check(state, "rss-9", "Update: " + KIRBY.replace("'", "’") + " https://t.co/x")
    assert kept == "page-1"
    assert after["ids"] == ["page-1"]


def test_check_treats_the_same_id_as_an_edit() -> None:
    """The same id with the same or edited text is never its own duplicate."""
    _, state = check(None, "a", KIRBY)
    kept, state = check(state, "a", KIRBY + " He did not take questions.")
    assert kept is None
    assert state["ids"] == ["a"]


def test_check_keeps_different_posts_sharing_a_link() -> None:
    """The seed's three posts linking on.rt.com/76wy are all kept."""
    posts = [
        "#Moscow will keep its #Hmeymim airbase in #Latakia province - #Putin http://on.rt.com/76wy #Russia",
        "#Putin orders start of Russian military #withdrawal from #Syria, says 'objectives achieved' http://on.rt.com/76wy",
        "9,000+ sorties, terrorists' key supply routes blocked during Russian op in #Syria http://on.rt.com/76wy",
    ]
    state = None
    for number, post in enumerate(posts):
        kept, state = check(state, f"p{number}", post)
        assert kept is None
    assert state is not None and state["ids"] == ["p0", "p1", "p2"]


def test_state_is_json_and_bounded() -> None:
    """The state survives a JSON round trip and keeps only the newest signatures."""
    state = None
    for number in range(12):
        _, state = check(state, f"e{number}", f"entry {number} about topic {number * 7} with {number}")
        state = orjson.loads(orjson.dumps(state))
    assert state is not None and state["ids"] == [f"e{n}" for n in range(12)]
    _, small = check(state, "new", "something else entirely happened today", max_remembered=3)
    assert small["ids"] == ["e10", "e11", "new"]
    assert len(small["signatures"]) == 3


def test_check_does_not_modify_the_given_state() -> None:
    """The caller's state dict is left unchanged."""
    _, state = check(None, "a", KIRBY)
    snapshot = orjson.dumps(state)
    check(state, "b", "another post altogether about the weather")
    assert orjson.dumps(state) == snapshot


def test_state_from_another_scheme_starts_empty() -> None:
    """Signatures made with another scheme are ignored rather than compared."""
    kept, state = check({"scheme": "old", "ids": ["x"], "signatures": ["00"]}, "a", KIRBY)
    assert kept is None and state["ids"] == ["a"]


def test_signature_is_stable() -> None:
    """Signatures are the same across processes (no salted hash)."""
    assert signature("Putin orders withdrawal")[:16] == signature("putin ORDERS withdrawal.")[:16]
    assert signature("Putin orders withdrawal")[:16] == "677998276d2b2239"


@pytest.mark.parametrize("text", ["", "   ", "https://on.rt.com/76wy", "!!! ..."])
def test_text_without_words_is_an_error(text: str) -> None:
    """A text with nothing to compare raises ValueError."""
    with pytest.raises(ValueError, match="no words"):
        check(None, "a", text)


def test_max_remembered_must_be_positive() -> None:
    """A bound below one is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        check(None, "a", KIRBY, max_remembered=0)


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


def test_signature_set_finds_what_most_similar_finds() -> None:
    """SignatureSet answers as most_similar over the same signatures, and skips the excluded id."""
    from newswire.processors.neardup import SignatureSet, most_similar, signature_bytes

    texts = {
        "a": "Russian jets left the Hmeymim airbase in Latakia on Tuesday morning, the ministry said",
        "b": "Talks in Geneva resumed with the opposition delegation after a two-day pause",
        "c": "The UN envoy said aid convoys reached three besieged towns near Damascus overnight",
    }
    remembered = {entry_id: signature_bytes(text) for entry_id, text in texts.items()}
    found = SignatureSet()
    for entry_id, packed in remembered.items():
        found.add(entry_id, packed)
    repost = signature_bytes("UPDATE: Talks in Geneva resumed with the opposition delegation after a two-day pause!")
    assert found.most_similar(repost) == most_similar(remembered, repost) == "b"
    assert found.most_similar(repost, exclude="b") is None
    assert found.most_similar(signature_bytes("Something else entirely happened in another town today")) is None


def test_signature_set_forgets_the_oldest_and_replaces_edits() -> None:
    """Past capacity the oldest id goes; adding a known id replaces its signature; discard forgets."""
    from newswire.processors.neardup import SignatureSet, signature_bytes

    found = SignatureSet(capacity=2)
    found.add("one", signature_bytes("first post about the convoy at the border crossing"))
    found.add("two", signature_bytes("second post about talks in Geneva with the delegation"))
    found.add("one", signature_bytes("first post edited: the convoy crossed the border at dawn"))
    assert found.ids() == ["two", "one"]
    found.add("three", signature_bytes("third post about the airbase in Latakia province"))
    assert found.ids() == ["one", "three"]
    assert found.most_similar(signature_bytes("second post about talks in Geneva with the delegation")) is None
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
