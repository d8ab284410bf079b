"""How long a consumer's fetches may wait on the broker, by the size of what it reads and how far behind it is
(processors and gateway).

The embedded broker (Tansu, memory storage) holds a fetch that finds nothing new for the whole
``fetch_max_wait_ms`` (a record arriving meanwhile waits for the end of it), and answers one that
finds records at once. Finding the tail of a partition costs it time that grows with the records
it holds, about 0.6 ms per 1,000 single-record batches (measured on one partition: 10,000 need a
10 ms wait, 20,000 answer in ~25 ms with a 20 ms wait and fail with 5 ms, 30,000 fail with 10 ms),
and a fetch whose wait runs out before it found anything comes back empty: with a wait too short
for its size, a consumer gets nothing, ever, with the records right there.

So the wait is the short one (a caught-up consumer's latency), lengthened by
:data:`MS_PER_THOUSAND_RECORDS` per 1,000 records in the partitions read (10 ms up to 10,000
records, 60 ms at 60,000), and doubled while a partition is behind (more records per fetch while
catching up), never past the long wait. A long wait whenever behind would cost up to that long the
moment the consumer catches up: its last fetch is then held empty for all of it. The long wait is
kept for a position not known yet (a partition just assigned, history loading), where reading
"until an empty fetch" must mean the end. On Apache
Kafka, which answers as soon as a record arrives, the wait costs nothing while records flow.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

__all__ = ["MS_PER_THOUSAND_RECORDS", "fetch_wait_ms", "set_fetch_wait"]

#: Wait per 1,000 records in the partitions a consumer reads (see above).
MS_PER_THOUSAND_RECORDS = 1.0


def fetch_wait_ms(lags: list[int | None], *, short_ms: int, long_ms: int, behind: int,
                  ends: list[int] | None = None) -> int:
    """The wait for the next fetches: ``short_ms``, lengthened by :data:`MS_PER_THOUSAND_RECORDS` per
    1,000 records in the partitions read (``ends``: their end offsets), doubled if a partition is
    ``behind`` records or more behind its end, and never past ``long_ms`` (nor below ``short_ms``).
    ``long_ms`` itself while a position is unknown (``None``: a partition just assigned, or history
    still loading), where an empty answer must mean the end and not a broker out of time."""
    if any(lag is None for lag in lags):
        return max(short_ms, long_ms)
    by_size = max(short_ms, int(sum(ends or ()) * MS_PER_THOUSAND_RECORDS / 1000))
    if any(lag is not None and lag >= behind for lag in lags):
        by_size *= 2
    return max(short_ms, min(by_size, long_ms))


def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    """Change the wait of a consumer's next fetches (aiokafka reads it per request; an int store is thread-safe)."""
    consumer._fetch_max_wait_ms = wait_ms
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None:
        fetcher._fetch_max_wait_ms = wait_ms
