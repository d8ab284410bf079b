"""Full garbage collections on the gateway's schedule instead of Python's automatic ones."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from newswire.gateway.gc_policy import NEVER, FullCollections, full_collection_due


@pytest.fixture(autouse=True)
def restore_gc() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)
    gc.unfreeze()


def test_a_full_collection_is_due_after_the_interval_or_enough_closed_connections() -> None:
    """Time alone or closed connections alone make it due; neither, not yet."""
    assert not full_collection_due(now=100, last=0, interval_s=300, closed=10, closed_limit=5000)
    assert full_collection_due(now=300, last=0, interval_s=300, closed=0, closed_limit=5000)
    assert full_collection_due(now=1, last=0, interval_s=300, closed=5000, closed_limit=5000)


def test_automatic_full_collections_stop_while_running_and_come_back_after() -> None:
    """While running, Python never starts a full collection; after stop the old thresholds are back."""
    before = gc.get_threshold()
    policy = FullCollections(interval_s=300, closed_limit=5000)
    policy.start(now=0)
    assert gc.get_threshold() == (before[0], before[1], NEVER)
    policy.stop()
    assert gc.get_threshold() == before


def test_a_second_instance_leaves_the_thresholds_to_the_first() -> None:
    """Two gateways in one process: the second does not save the first's setting as the one to restore."""
    before = gc.get_threshold()
    first, second = FullCollections(300, 5000), FullCollections(300, 5000)
    first.start(now=0)
    second.start(now=0)
    second.stop()
    assert gc.get_threshold()[2] == NEVER
    first.stop()
    assert gc.get_threshold() == before


def test_tick_collects_when_due_and_frees_reference_cycles() -> None:
    """A due tick runs a full collection (cycles freed) and restarts the count; an early tick does nothing."""
    policy = FullCollections(interval_s=300, closed_limit=3)
    policy.start(now=0)

    class Node:
        pass

    def cycle() -> None:
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]

    gc.collect()
    gc.disable()
    try:
        cycle()
        assert not policy.tick(now=10)
        assert any(type(o) is Node for o in gc.get_objects())
        for _ in range(3):
            policy.connection_closed()
        assert policy.tick(now=11)
        assert not any(type(o) is Node for o in gc.get_objects())
        assert (policy.last, policy.closed) == (11, 0)
        assert not policy.tick(now=12)
    finally:
        gc.enable()
        policy.stop()
