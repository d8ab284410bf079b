"""The fetch wait follows how far the worker is behind."""

from __future__ import annotations

from newswire.kafka_tuning import fetch_wait_ms


def test_caught_up_partitions_use_the_short_wait() -> None:
    """No partition behind: the short wait keeps each hop's latency low."""
    assert fetch_wait_ms([0, 3], short_ms=10, long_ms=500, behind=50) == 10
    assert fetch_wait_ms([], short_ms=10, long_ms=500, behind=50) == 10


def test_one_partition_behind_doubles_the_wait() -> None:
    """A partition far behind its end gets longer fetches (more records each), but not the long wait, which
    a caught-up consumer would then sit out with its last fetch."""
    assert fetch_wait_ms([0, 50], short_ms=10, long_ms=500, behind=50) == 20
    assert fetch_wait_ms([0, 50], short_ms=10, long_ms=500, behind=50, ends=[30_000, 0]) == 60


def test_a_partition_with_records_but_no_position_yet_counts_as_behind() -> None:
    """A worker that has not processed a record of a partition yet may face a whole backlog."""
    assert fetch_wait_ms([None], short_ms=10, long_ms=500, behind=50) == 500


def test_the_long_wait_is_never_shorter_than_the_short_one() -> None:
    """A misconfigured long wait cannot make the fetches shorter than the short wait."""
    assert fetch_wait_ms([100], short_ms=200, long_ms=50, behind=50) == 200
    assert fetch_wait_ms([0], short_ms=10, long_ms=500, behind=50, ends=[5_000_000]) == 500


def test_the_wait_grows_with_the_records_read_up_to_the_long_wait() -> None:
    """The embedded broker needs longer to find the tail of larger partitions: the wait follows their size."""
    assert fetch_wait_ms([0, 0], short_ms=10, long_ms=500, behind=1, ends=[4_000, 4_000]) == 10
    assert fetch_wait_ms([0, 0], short_ms=10, long_ms=500, behind=1, ends=[15_000, 15_000]) == 30
    assert fetch_wait_ms([0], short_ms=10, long_ms=500, behind=1, ends=[2_000_000]) == 500
