"""How every newswire part reaches Kafka, and the client defaults they share.

Read once at the edge (:meth:`KafkaSettings.from_env`) and passed in. Producers are
idempotent with ``acks=all``: a retried send never writes twice or out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newswire.settings import FromEnv, var_int, var_str

__all__ = ["KafkaSettings", "PRODUCER_DEFAULTS", "DEFAULT_BOOTSTRAP", "min_insync_replicas"]

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"

#: Every newswire producer: Kafka keeps each record once and in order, even when a send is retried.
PRODUCER_DEFAULTS: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


def min_insync_replicas(replication: int, asked: int = 0) -> int:
    """The ``min.insync.replicas`` of a topic with ``replication`` copies: ``asked`` when given (0: not given),
    else replication - 1 (two of three), at least 1 and never above the replication (nobody could write)."""
    return min(asked or max(replication - 1, 1), replication)


@dataclass(frozen=True)
class KafkaSettings(FromEnv):
    """Where Kafka is and how newswire's topics are made there."""

    bootstrap: str = field(default_factory=lambda: var_str("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP))
    partitions: int = field(default_factory=lambda: var_int("NEWSWIRE_KAFKA_PARTITIONS", 4, minimum=1))
    replication: int = field(default_factory=lambda: var_int("NEWSWIRE_KAFKA_REPLICATION", 1, minimum=1))
    #: Replicas that must hold a record before Kafka acknowledges it (with acks=all); at most ``replication``.
    min_insync_replicas: int = field(
        default_factory=lambda: var_int("NEWSWIRE_KAFKA_MIN_INSYNC_REPLICAS", 0, minimum=0))
    #: Fetch wait of the consumers on the latency path (processor worker, gateway reader). Apache Kafka answers
    #: a fetch as soon as a record is there, but aiokafka leaves a partition whose records are still buffered
    #: out of its next request, which the broker then holds for the whole wait when the other partitions have
    #: nothing: a record arriving on that partition meanwhile waits for it. Measured with bench/e2e.py (200/s,
    #: 1,000 clients): faust's 1,500 ms made the processor hop p50 921 / p99 1,603 ms; 10 ms bounds it.
    fetch_max_wait_ms: int = field(default_factory=lambda: var_int("NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS", 10, minimum=0))

    def topic_configs(self) -> dict[str, str]:
        """Per-topic configs of newswire's topics: ``min.insync.replicas`` when one is asked for
        (default: replication - 1, at least 1, as a cluster of three should run with two)."""
        return {"min.insync.replicas": str(min_insync_replicas(self.replication, self.min_insync_replicas))}
