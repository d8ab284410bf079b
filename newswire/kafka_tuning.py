"""How long a consumer's fetches may wait on the broker, by how far it is behind (processors and gateway).

The embedded broker (Tansu, memory storage) answers a fetch with whatever it collected when
``fetch_max_wait_ms`` runs out, and collecting gets slower as a partition grows. With the short
wait that keeps latency low when caught up, a worker that fell behind gets fewer records per
fetch, falls further behind, and at some size gets none at all: it stalls for good with the
records right there. So a worker that is behind asks with a long wait (the broker answers as
soon as it has the records, so this costs nothing then), and one that is caught up with the
short wait (the broker holds an empty fetch for the whole wait).

The embedded broker's cost of answering a fetch grows with the records it holds in the fetched
partitions (measured: 60,000 single-record batches over 4 partitions need a wait between 10 and
30 ms; with 10 ms every fetch came back empty), and a fetch whose wait runs
out before the broker found the tail comes back empty. So a caught-up consumer waits
:data:`MS_PER_THOUSAND_RECORDS` per 1,000 records it reads from (at least the short wait, at most
the long one): 10 ms up to 10,000 records, 60 ms at 60,000. On Apache Kafka, which answers as soon
as a record arrives, the wait costs nothing while records flow.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

__all__ = ["MS_PER_THOUSAND_RECORDS", "fetch_wait_ms", "set_fetch_wait"]

#: Wait per 1,000 records in the partitions a consumer reads, when it is caught up (see above).
MS_PER_THOUSAND_RECORDS = 1.0


def fetch_wait_ms(lags: list[int | None], *, short_ms: int, long_ms: int, behind: int,
                  ends: list[int] | None = None) -> int:
    """The wait for the next fetches: ``long_ms`` if any partition is ``behind`` records or more behind
    its end (or its position is unknown while it has records); else ``short_ms``, lengthened by
    :data:`MS_PER_THOUSAND_RECORDS` per 1,000 records in the partitions read (``ends``: their end
    offsets) and never past ``long_ms``."""
    longest = max(short_ms, long_ms)
    if any(lag is None or lag >= behind for lag in lags):
        return longest
    by_size = int(sum(ends or ()) * MS_PER_THOUSAND_RECORDS / 1000)
    return min(max(short_ms, by_size), longest)


def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """Change the wait of a consumer's next fetches (aiokafka reads it per request; an int store is thread-safe)."""
    consumer._fetch_max_wait_ms = wait_ms
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None:
        fetcher._fetch_max_wait_ms = wait_ms
