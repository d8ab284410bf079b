"""How long a consumer's fetches may wait on the broker, by how far it is behind (processors and gateway).

The embedded broker (Tansu, memory storage) answers a fetch with whatever it collected when
``fetch_max_wait_ms`` runs out, and collecting gets slower as a partition grows. With the short
wait that keeps latency low when caught up, a worker that fell behind gets fewer records per
fetch, falls further behind, and at some size gets none at all: it stalls for good with the
records right there. So a worker that is behind asks with a long wait (the broker answers as
soon as it has the records, so this costs nothing then), and one that is caught up with the
short wait (the broker holds an empty fetch for the whole wait).

Past :data:`LARGE_PARTITION` records the embedded broker cannot find even a partition's tail
within the short wait, so a consumer of such a partition always uses the long wait there (on
Apache Kafka, which answers as soon as a record arrives, the long wait costs nothing).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

__all__ = ["LARGE_PARTITION", "fetch_wait_ms", "set_fetch_wait"]

#: Records in a partition from which fetches use the long wait even when caught up (see above).
LARGE_PARTITION = 5_000


def fetch_wait_ms(lags: list[int | None], *, short_ms: int, long_ms: int, behind: int,
                  ends: list[int] | None = None) -> int:
    """The wait for the next fetches: ``long_ms`` if any partition is ``behind`` records or more behind
    its end (or its position is unknown while it has records), or holds :data:`LARGE_PARTITION` records
    or more (``ends``: the partitions' end offsets), else ``short_ms``."""
    if any(lag is None or lag >= behind for lag in lags) or any(end >= LARGE_PARTITION for end in ends or ()):
        return max(short_ms, long_ms)
    return short_ms



def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """Change the wait of a consumer's next fetches (aiokafka reads it per request; an int store is thread-safe)."""
    consumer._fetch_max_wait_ms = wait_ms
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None:
        fetcher._fetch_max_wait_ms = wait_ms
