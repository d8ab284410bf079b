"""`newswire topics`: which topics it wants and how it reports the broker's answers."""

from __future__ import annotations

import pytest

from newswire.cli import build_parser
from newswire.commands.topics import (
    TopicInfo,
    format_table,
    outcomes,
    retention_setting,
    topic_infos,
    wanted_topics,
)
from newswire.schemas import topics
from newswire.settings import SettingsError


def test_wanted_topics_are_the_three_public_topics_with_settings() -> None:
    """The raw, processed and DLQ topics, each with the asked partitions, replication and retention."""
    specs = wanted_topics(partitions=6, replication=3, retention_ms=86_400_000, ninjs=False)
    assert [s.name for s in specs] == list(topics.ALL)
    assert {(s.partitions, s.replication, s.configs["retention.ms"]) for s in specs} == {(6, 3, "86400000")}


def test_ninjs_topic_only_when_asked_and_default_retention_sets_no_config() -> None:
    """newswire.entries.ninjs is added by the ninjs setting; no retention means the broker's default."""
    specs = wanted_topics(partitions=1, replication=1, retention_ms=None, ninjs=True)
    assert [s.name for s in specs][-1] == topics.NINJS
    assert all(s.configs == {} for s in specs)
    assert wanted_topics(partitions=1, replication=1, retention_ms=-1, ninjs=False)[0].configs == {
        "retention.ms": "-1"}


@pytest.mark.parametrize("kwargs", [dict(partitions=0, replication=1, retention_ms=None),
                                    dict(partitions=1, replication=0, retention_ms=None),
                                    dict(partitions=1, replication=1, retention_ms=-5)])
def test_impossible_settings_are_refused(kwargs: dict) -> None:  # type: ignore[type-arg]
    """Zero partitions or replicas, or a negative retention other than -1, is a clear error."""
    with pytest.raises(ValueError):
        wanted_topics(ninjs=False, **kwargs)


def test_outcomes_name_created_existing_and_failed_topics() -> None:
    """Each topic gets created / exists (with a warning when it has fewer partitions) / failed with the reason."""
    specs = wanted_topics(partitions=4, replication=1, retention_ms=None, ninjs=False)
    answer = [{"topic": topics.RAW, "error_code": 0, "error_message": None},
              {"topic": topics.DLQ, "error_code": 38, "error_message": "Replication factor is invalid."}]
    result = {o.name: o for o in outcomes(specs, answer, {topics.ENTRIES: 2})}
    assert result[topics.RAW].status == "created"
    assert result[topics.ENTRIES].status == "exists" and "fewer than the 4 asked" in result[topics.ENTRIES].detail
    assert (result[topics.DLQ].status, result[topics.DLQ].detail) == ("failed", "Replication factor is invalid.")


def test_failure_without_message_names_the_kafka_error() -> None:
    """A broker error with no message is reported by its Kafka error name."""
    specs = wanted_topics(partitions=1, replication=1, retention_ms=None, ninjs=False)[:1]
    [result] = outcomes(specs, [{"topic": topics.RAW, "error_code": 37, "error_message": None}], {})
    assert result.status == "failed" and "Partitions" in result.detail


def test_topic_infos_and_table_show_missing_topics() -> None:
    """describe lists partitions, replication and retention, and says which topic is missing."""
    metadata = [{"topic": topics.RAW, "error_code": 0,
                 "partitions": [{"replicas": [1, 2]}, {"replicas": [1, 2]}]}]
    rows = topic_infos([topics.RAW, topics.ENTRIES], metadata, {topics.RAW: "3600000"})
    assert rows == [TopicInfo(topics.RAW, 2, 2, "3600000"), TopicInfo(topics.ENTRIES, 0, 0, None, missing=True)]
    table = format_table(rows).splitlines()
    assert table[1].split() == [topics.RAW, "2", "2", "3600000"]
    assert table[2].split() == [topics.ENTRIES, "missing"]


def test_retention_setting_reads_the_environment() -> None:
    """NEWSWIRE_KAFKA_RETENTION_MS unset means the broker default; a non-number is a settings error."""
    assert retention_setting({}) is None
    assert retention_setting({"NEWSWIRE_KAFKA_RETENTION_MS": "604800000"}) == 604_800_000
    with pytest.raises(SettingsError, match="NEWSWIRE_KAFKA_RETENTION_MS"):
        retention_setting({"NEWSWIRE_KAFKA_RETENTION_MS": "a week"})


def test_cli_parses_create_and_describe() -> None:
    """The subcommands and flags exist as documented; an action is required."""
    parser = build_parser()
    args = parser.parse_args(["topics", "create", "--partitions", "8", "--retention-ms", "1000",
                              "--bootstrap", "kafka:9092"])
    assert (args.partitions, args.retention_ms, args.bootstrap) == (8, 1000, "kafka:9092")
    assert parser.parse_args(["topics", "describe", "--json"]).json is True
    with pytest.raises(SystemExit):
        parser.parse_args(["topics"])


def test_replicated_topics_require_in_sync_replicas() -> None:
    """Replicated topics carry min.insync.replicas; one above the replication is refused, one copy gets none."""
    specs = wanted_topics(partitions=3, replication=3, retention_ms=None, ninjs=False, min_insync_replicas=2)
    assert {s.configs["min.insync.replicas"] for s in specs} == {"2"}
    with pytest.raises(ValueError, match="more than the replication"):
        wanted_topics(partitions=3, replication=2, retention_ms=None, ninjs=False, min_insync_replicas=3)
    single = wanted_topics(partitions=1, replication=1, retention_ms=None, ninjs=False, min_insync_replicas=1)
    assert single[0].configs == {}
