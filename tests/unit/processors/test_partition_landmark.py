"""The landmark: the newest record a partition's state knows to be on newswire.entries."""

from __future__ import annotations

from newswire.landmarks import Landmark
from newswire.processors.pipeline import PartitionState


def test_the_landmark_keeps_the_newest_offset_whatever_order_sends_complete_in() -> None:
    """Send callbacks and the read-back may report offsets out of order; the newest one stays."""
    state = PartitionState()
    state.note_on_topic(Landmark(7, "s", "a", 1))
    state.note_on_topic(Landmark(3, "s", "b", 2))
    assert state.landmark == Landmark(7, "s", "a", 1)
    state.note_on_topic(Landmark(8, "s", "c", 1))
    assert state.landmark == Landmark(8, "s", "c", 1)


def test_reset_forgets_the_landmark_with_the_rest_of_the_state() -> None:
    """After a reset (the topic was recreated) there is nothing left to look for on the new topic."""
    state = PartitionState()
    state.note_on_topic(Landmark(4, "s", "a", 1))
    state.read_to = 5
    state.reset()
    assert state.landmark is None and state.read_to == 0
