"""The version rules and story sequence numbers, on plain state."""

from newswire.processors.versioning import EntryState, compact_fingerprint, decide, entry_key, next_seq

FP1, FP2, FP9 = "0f" * 16, "1e" * 16, "9a" * 16  # fingerprints are 32 hex digits


def state(fingerprint: str, version: int, deleted: bool = False) -> EntryState:
    return EntryState(compact_fingerprint(fingerprint), version, deleted)


def test_unknown_id_is_created_at_version_1():
    """A first sighting becomes op=create, version 1."""
    d = decide("create", FP1, None)
    assert (d.emit, d.op, d.version) == (True, "create", 1)
    assert d.entry_state == state(FP1, 1)


def test_same_content_again_is_dropped_as_replay():
    """Publishing the same entry again adds nothing."""
    d = decide("create", FP1, state(FP1, 1))
    assert (d.emit, d.reason) == (False, "replay")


def test_new_content_is_an_update_with_the_next_version():
    """An edited entry keeps its id and becomes op=update, version + 1, whatever the producer called it."""
    d = decide("create", FP2, state(FP1, 1))
    assert (d.emit, d.op, d.version) == (True, "update", 2)
    assert d.entry_state == state(FP2, 2)


def test_delete_of_a_known_entry_is_a_tombstone_with_the_next_version():
    """A delete is emitted once, as the next version."""
    d = decide("delete", "ignored", state(FP2, 2))
    assert (d.emit, d.op, d.version) == (True, "delete", 3)
    assert d.entry_state == state(FP2, 3, deleted=True)


def test_anything_after_a_delete_is_dropped():
    """Replays of a deleted id never resurrect it."""
    gone = state(FP2, 3, deleted=True)
    assert decide("create", FP2, gone).reason == "deleted"
    assert decide("update", FP9, gone).reason == "deleted"
    assert decide("delete", FP9, gone).reason == "deleted"


def test_delete_of_an_unknown_entry_is_dropped():
    """A delete for an id never seen has nothing to remove."""
    d = decide("delete", FP1, None)
    assert (d.emit, d.reason) == (False, "unknown_delete")


def test_sequence_starts_at_1_in_a_new_epoch_and_counts_up():
    """seq counts 1, 2, 3… per story; the epoch is made once, when numbering starts."""
    epochs = iter(["e1", "e2"])
    s1 = next_seq(None, lambda: next(epochs))
    s2 = next_seq(s1, lambda: next(epochs))
    s3 = next_seq(s2, lambda: next(epochs))
    assert [s["seq"] for s in (s1, s2, s3)] == [1, 2, 3]
    assert {s["epoch"] for s in (s1, s2, s3)} == {"e1"}


def test_entry_keys_of_different_stories_never_collide():
    """The same entry id in two stories is two entries."""
    assert entry_key("a", "1") != entry_key("b", "1")


def test_a_fingerprint_that_is_not_hex_still_tells_replays_from_edits():
    """State read back from entries written by something else: an odd fingerprint equals only itself."""
    assert decide("create", "not-hex", state("not-hex", 1)).reason == "replay"
    assert decide("create", FP1, state("not-hex", 1)).op == "update"
    assert decide("create", "", state("", 1)).reason == "replay"


def test_the_compact_fingerprint_keeps_every_digit():
    """Two fingerprints that differ only in their last digit stay different (nothing is cut)."""
    assert compact_fingerprint("0" * 31 + "1") != compact_fingerprint("0" * 32)
    assert decide("create", "0" * 31 + "1", state("0" * 32, 1)).op == "update"
