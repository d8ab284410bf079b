"""Landmarks: how the processor's read-back tells a topic created again from the one it read."""

from __future__ import annotations

from newswire.landmarks import Landmark, is_recreated, landmark_of


def test_landmark_of_a_record_names_the_entry_it_holds() -> None:
    """A record's landmark is its offset with the entry's story, id and version; junk keeps only the offset."""
    value = b'{"story":"s","id":"s-e1","version":2,"seq":7}'
    assert landmark_of(5, value) == Landmark(5, "s", "s-e1", 2)
    offset_only = Landmark(5, None, None, None)
    assert landmark_of(5, b"not json") == landmark_of(5, None) == landmark_of(5, b"[1]") == offset_only


def test_a_partition_is_recreated_only_when_its_landmark_record_is_gone_or_another() -> None:
    """The same record still at the offset: a healthy topic; absent or a different entry: recreated."""
    landmark = Landmark(2, "s", "s-e3", 1)
    assert not is_recreated(landmark, Landmark(2, "s", "s-e3", 1))
    assert is_recreated(landmark, None)
    assert is_recreated(landmark, Landmark(2, "s", "s-new-3", 1))
    assert is_recreated(landmark, Landmark(2, "s", "s-e3", 2))
