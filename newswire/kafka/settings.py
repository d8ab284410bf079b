"""How every newswire part reaches Kafka, and the client defaults they share.

Read once at the edge (:meth:`KafkaSettings.from_env`) and passed in. The defaults are what
Kafka users expect: idempotent producers with ``acks=all`` (a retried send never writes twice),
and the client's own fetch wait (Apache Kafka answers a fetch as soon as a record is there, so
the wait costs no latency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newswire.settings import env_int, env_str

__all__ = ["KafkaSettings", "PRODUCER_DEFAULTS", "DEFAULT_BOOTSTRAP"]

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"

#: Every newswire producer: Kafka keeps each record once and in order, even when a send is retried.
PRODUCER_DEFAULTS: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


@dataclass(frozen=True)
class KafkaSettings:
    """Where Kafka is and how newswire's topics are made there."""

    bootstrap: str = field(default_factory=lambda: env_str("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP))
    partitions: int = field(default_factory=lambda: env_int("NEWSWIRE_PARTITIONS", 4, minimum=1))
    replication: int = field(default_factory=lambda: env_int("NEWSWIRE_REPLICATION", 1, minimum=1))
    #: Replicas that must hold a record before Kafka acknowledges it (with acks=all); at most ``replication``.
    min_insync_replicas: int = field(default_factory=lambda: env_int("NEWSWIRE_MIN_INSYNC_REPLICAS", 0, minimum=0))

    def topic_configs(self) -> dict[str, str]:
        """Per-topic configs of newswire's topics: ``min.insync.replicas`` when one is asked for
        (default: replication - 1, at least 1, as a cluster of three should run with two)."""
        wanted = self.min_insync_replicas or max(self.replication - 1, 1)
        return {"min.insync.replicas": str(min(wanted, self.replication))}
