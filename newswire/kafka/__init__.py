"""newswire's Kafka edge, in one room: client settings and defaults, topic admin, the local Apache
Kafka launcher, and the faust defaults. Producers, processors, gateway and the command line import
Kafka matters from here.
"""

from newswire.kafka.admin import ensure_topics, partition_count, tcp_open, topic_partitions, wait_for_metadata
from newswire.kafka.local import (
    BrokerExited,
    DataDirError,
    JarsUnavailable,
    JavaUnavailable,
    LocalKafka,
    LocalKafkaError,
    kafka_version,
)
from newswire.kafka.settings import DEFAULT_BOOTSTRAP, PRODUCER_DEFAULTS, KafkaSettings

__all__ = ["ensure_topics", "partition_count", "tcp_open", "topic_partitions", "wait_for_metadata",
           "BrokerExited", "DataDirError", "JarsUnavailable", "JavaUnavailable", "LocalKafka",
           "LocalKafkaError", "kafka_version",
           "DEFAULT_BOOTSTRAP", "PRODUCER_DEFAULTS", "KafkaSettings"]
