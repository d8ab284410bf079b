"""The local Apache Kafka's pure parts: Java versions, Maven's errors, the data folder check, a node's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.kafka.local import (
    DataDirError,
    KafkaNode,
    inspect_data_dir,
    java_major,
    kafka_version,
    maven_errors,
    new_cluster_id,
    node_properties,
)


@pytest.mark.parametrize("output, major", [
    ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
    ('openjdk version "25" 2025-09-16', 25),
    ('java version "1.8.0_402"', 8),
    ('openjdk version "11.0.22" 2024-01-16', 11),
    ("no version here", None),
])
def test_java_major_reads_every_version_style(output: str, major: int | None) -> None:
    """Both the modern ("17.0.15") and the old ("1.8.0") numbering give the major version."""
    assert java_major(output) == major


def test_maven_errors_keep_the_cause_and_drop_the_boilerplate() -> None:
    """What Maven says went wrong survives; colour codes, empty [ERROR] lines and help links do not."""
    output = ("\x1b[0m[ERROR] Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka_2.13:pom:4.1.1"
              " -> [Help 1]\n[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with -e.\n"
              "[ERROR] For more information about the errors, please read:\n[ERROR] [Help 1] http://x\n[INFO] ok\n")
    assert maven_errors(output) == [
        "Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka_2.13:pom:4.1.1"]


def test_the_pinned_version_is_a_kafka_4() -> None:
    """The pom pins an Apache Kafka 4.x (KRaft only, Java 17 brokers)."""
    assert kafka_version().split(".")[0] == "4"


def _formatted(folder: Path, node_id: int = 1, cluster: str = "abc") -> Path:
    folder.mkdir(parents=True)
    (folder / "meta.properties").write_text(f"#\nnode.id={node_id}\ndirectory.id=x\nversion=1\ncluster.id={cluster}\n")
    (folder / "__cluster_metadata-0").mkdir()
    return folder


def test_a_new_folder_is_to_be_formatted(tmp_path: Path) -> None:
    """An absent or empty folder has no cluster yet."""
    assert inspect_data_dir(tmp_path / "absent", 1) is None
    (tmp_path / "empty").mkdir()
    assert inspect_data_dir(tmp_path / "empty", 1) is None


def test_a_formatted_folder_gives_its_cluster_id(tmp_path: Path) -> None:
    """A folder formatted for this node is kept, with its cluster id."""
    assert inspect_data_dir(_formatted(tmp_path / "data", cluster="Zq1"), 1) == "Zq1"


def test_a_folder_of_another_node_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A folder written as node 2 of a cluster is refused with the folder's name, and nothing in it changes."""
    folder = _formatted(tmp_path / "data", node_id=2)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(DataDirError, match=f"{folder} was written by another cluster.*node 2"):
        inspect_data_dir(folder, 1)
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("damage", ["no meta", "garbled meta", "no metadata log"])
def test_a_damaged_folder_is_refused_with_its_name(tmp_path: Path, damage: str) -> None:
    """Files but no meta.properties, an unreadable one, or a lost metadata log: refused, saying which folder."""
    folder = _formatted(tmp_path / "data")
    if damage == "no meta":
        (folder / "meta.properties").unlink()
        (folder / "newswire.entries-0").mkdir()
    elif damage == "garbled meta":
        (folder / "meta.properties").write_bytes(b"\xff\xfe garbage")
    else:
        (folder / "__cluster_metadata-0").rmdir()
    with pytest.raises(DataDirError, match=str(folder)) as refused:
        inspect_data_dir(folder, 1)
    assert "never wipes it" in str(refused.value)


def test_cluster_ids_are_16_bytes_in_url_safe_base64() -> None:
    """As kafka-storage random-uuid makes them: 22 characters, no padding, new each time."""
    first, second = new_cluster_id(), new_cluster_id()
    assert len(first) == 22 and "=" not in first and first != second


def test_a_single_node_is_its_own_voter_with_one_copy(tmp_path: Path) -> None:
    """One node: broker and controller roles, itself the only voter, Kafka's own topics with one replica."""
    props = dict(line.split("=", 1) for line in node_properties(
        KafkaNode(port=9092, controller_port=9093, data_dir=tmp_path)).splitlines())
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["log.dirs"] == str(tmp_path / "data")


def test_a_cluster_node_lists_every_voter_and_replicates(tmp_path: Path) -> None:
    """Node 2 of three: all three voters, three copies of Kafka's own topics, writes needing two."""
    props = dict(line.split("=", 1) for line in node_properties(KafkaNode(
        port=9192, controller_port=9193, data_dir=tmp_path, node_id=2, voters={1: 9093, 2: 9193, 3: 9293},
        replication=3, min_insync_replicas=2)).splitlines())
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293"
    assert props["transaction.state.log.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2" and props["transaction.state.log.min.isr"] == "2"
