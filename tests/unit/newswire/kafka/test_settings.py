"""Kafka client settings: topic configs and the defaults every producer shares."""

from __future__ import annotations

import pytest

from newswire.kafka import PRODUCER_DEFAULTS, KafkaSettings


@pytest.mark.parametrize("replication, asked, in_sync", [(1, 0, "1"), (3, 0, "2"), (5, 0, "4"), (3, 3, "3"),
                                                          (3, 9, "3")])
def test_replicated_topics_need_all_but_one_copy_unless_told(replication: int, asked: int, in_sync: str) -> None:
    """min.insync.replicas is replication - 1 (at least 1) by default, the asked value otherwise, never above
    the replication (a topic nobody could write to)."""
    settings = KafkaSettings(bootstrap="b:9092", replication=replication, min_insync_replicas=asked)
    assert settings.topic_configs() == {"min.insync.replicas": in_sync}


def test_every_producer_is_idempotent_with_acks_all() -> None:
    """A retried send never writes a record twice or out of order: idempotence needs acks=all."""
    assert PRODUCER_DEFAULTS == {"acks": "all", "enable_idempotence": True}


def test_a_fetch_wait_below_zero_is_refused() -> None:
    """NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS=-1 is a settings error naming the variable."""
    from newswire.settings import SettingsError

    with pytest.raises(SettingsError, match="NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS"):
        KafkaSettings.from_env({"NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS": "-1"})


def test_variables_follow_one_prefix_scheme_and_former_names_still_work() -> None:
    """NEWSWIRE_KAFKA_* names the Kafka settings; a former name (NEWSWIRE_PARTITIONS) is read when the new one is
    unset, and an error names the variable the value came from."""
    from newswire.settings import SettingsError

    assert KafkaSettings.from_env({"NEWSWIRE_KAFKA_PARTITIONS": "8"}).partitions == 8
    assert KafkaSettings.from_env({"NEWSWIRE_PARTITIONS": "6"}).partitions == 6
    assert KafkaSettings.from_env({"NEWSWIRE_KAFKA_PARTITIONS": "8", "NEWSWIRE_PARTITIONS": "6"}).partitions == 8
    with pytest.raises(SettingsError, match="NEWSWIRE_FETCH_MAX_WAIT_MS='soon'"):
        KafkaSettings.from_env({"NEWSWIRE_FETCH_MAX_WAIT_MS": "soon"})
