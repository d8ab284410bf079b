"""docker-compose.yml and the Dockerfile: valid Compose, real newswire commands, the settings users rely on.

No Docker engine runs here, so the file is checked against the Compose Specification's JSON Schema
(schemas/standards/compose-spec.json) and every command against the real CLI parser.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from newswire.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
COMPOSE_SPEC = ROOT / "schemas" / "standards" / "compose-spec.json"
DOCKERFILE = ROOT / "Dockerfile"
BOOTSTRAP = "kafka-1:9092,kafka-2:9092,kafka-3:9092"
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def newswire_commands(compose: dict[str, Any]) -> dict[str, list[str]]:
    """Service → its command as a list (the image has no entrypoint, so it starts with the program)."""
    out = {}
    for name, service in compose["services"].items():
        command = service.get("command")
        if command is not None:
            out[name] = command if isinstance(command, list) else shlex.split(command)
    return out


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    """The file (anchors and merge keys expanded) validates against the Compose Specification's schema."""
    spec = json.loads(COMPOSE_SPEC.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in Draft7Validator(spec).iter_errors(compose)]
    assert errors == []


def test_the_spec_check_catches_mistakes(compose: dict[str, Any]) -> None:
    """An unknown service key or a bad depends_on condition fails the same check."""
    validator = Draft7Validator(json.loads(COMPOSE_SPEC.read_text(encoding="utf-8")))
    broken = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    broken["services"]["ingest"]["comand"] = ["newswire"]
    assert not validator.is_valid(broken)
    broken = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    broken["services"]["ingest"]["depends_on"]["kafka-1"]["condition"] = "service_ready"
    assert not validator.is_valid(broken)


def test_every_command_is_a_real_newswire_command(compose: dict[str, Any]) -> None:
    """Each service runs `newswire SUB ...`: SUB has --help, and the whole argument list parses."""
    commands = newswire_commands(compose)
    assert set(commands) == {"topics", "ingest", "processor", "gateway-1", "gateway-2"}
    parser = build_parser()
    for service, command in commands.items():
        assert command[0] == "newswire", service
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([command[1], "--help"])
        assert exit_info.value.code == 0, service
        args = parser.parse_args(command[1:])
        assert callable(args.func), service
        assert args.bootstrap == BOOTSTRAP, service


def test_kafka_is_three_apache_kafka_nodes_in_kraft_mode(compose: dict[str, Any]) -> None:
    """Three apache/kafka nodes, each broker and controller voter (no ZooKeeper), of one cluster, each with its
    own volume and host port; Kafka's own topics replicated three times, writes needing two copies."""
    nodes = [compose["services"][name] for name in KAFKA_NODES]
    voters = {f"{n}@kafka-{n}:9093" for n in (1, 2, 3)}
    for n, node in enumerate(nodes, start=1):
        env = node["environment"]
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_NODE_ID"] == n
        assert f"PLAINTEXT://kafka-{n}:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 2 and env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
        assert "kafka-broker-api-versions" in " ".join(node["healthcheck"]["test"])
    assert len({node["environment"]["CLUSTER_ID"] for node in nodes}) == 1
    assert len({node["volumes"][0] for node in nodes}) == 3 and len({node["ports"][0] for node in nodes}) == 3
    assert not any("zookeeper" in name for name in compose["services"])


def test_kafka_is_the_version_the_local_broker_runs(compose: dict[str, Any]) -> None:
    """docker compose and `newswire up` run the same Apache Kafka: the image tag is the pom's kafka.version."""
    from newswire.kafka import kafka_version

    assert {compose["services"][name]["image"] for name in KAFKA_NODES} == {f"apache/kafka:{kafka_version()}"}


def test_topics_are_created_once_before_the_services(compose: dict[str, Any]) -> None:
    """A one-shot job creates the topics with partitions and retention from settings; services wait for it."""
    topics = compose["services"]["topics"]
    assert topics["restart"] == "no"
    assert {topics["depends_on"][name]["condition"] for name in KAFKA_NODES} == {"service_healthy"}
    for key in ("NEWSWIRE_KAFKA_PARTITIONS", "NEWSWIRE_KAFKA_RETENTION_MS", "NEWSWIRE_KAFKA_REPLICATION",
                "NEWSWIRE_KAFKA_MIN_INSYNC_REPLICAS"):
        assert re.fullmatch(r"\$\{" + key + r":-\d+\}", str(topics["environment"][key])), key
    for name in ("ingest", "processor", "gateway-1", "gateway-2"):
        assert compose["services"][name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_health_checks_probe_readiness(compose: dict[str, Any]) -> None:
    """HTTP services are healthy only when /readyz on their own port answers; workers when their ready file exists."""
    services = compose["services"]
    for name in ("ingest", "gateway-1", "gateway-2"):
        command = newswire_commands(compose)[name]
        port = command[command.index("--port") + 1]
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in probe, name
    processor = newswire_commands(compose)["processor"]
    ready_file = processor[processor.index("--ready-file") + 1]
    assert services["processor"]["healthcheck"]["test"] == ["CMD", "test", "-f", ready_file]


def test_every_service_reaches_all_three_brokers(compose: dict[str, Any]) -> None:
    """Services bootstrap from every node, so any one of them may be down when a service starts."""
    for name in ("ingest", "processor", "gateway-1", "gateway-2", "topics"):
        assert compose["services"][name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == BOOTSTRAP, name


def test_processors_scale_and_two_gateways_run(compose: dict[str, Any]) -> None:
    """`--scale processor=N` works (no fixed name or host port); two gateways listen on distinct host ports."""
    processor = compose["services"]["processor"]
    assert "container_name" not in processor and "ports" not in processor
    gateways = [s for name, s in compose["services"].items() if name.startswith("gateway-")]
    assert len(gateways) == 2
    assert len({g["ports"][0].split(":")[0] for g in gateways}) == 2


def test_ingest_refuses_to_start_without_a_token(compose: dict[str, Any]) -> None:
    """The ingest token has no default: compose stops with a message when it is unset."""
    token = compose["services"]["ingest"]["environment"]["NEWSWIRE_INGEST_TOKEN"]
    assert token.startswith("${NEWSWIRE_INGEST_TOKEN:?")


def test_dockerfile_installs_the_wheel_it_builds_from_files_that_exist() -> None:
    """A first stage builds the wheel (C write loop required); the image installs that wheel and no source tree.
    Every folder the first stage copies exists (README.md comes with the project)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) == 2
    builder, image = stages
    assert "NEWSWIRE_BUILD_EXTENSION=yes" in builder and "pip wheel --no-deps --wheel-dir /wheels ." in builder
    assert "COPY --from=wheel /wheels /wheels" in image and "pip install /wheels/*.whl" in image
    assert not [line for line in re.findall(r"^COPY (.+)$", image, re.M) if not line.startswith("--from=")]
    for line in re.findall(r"^COPY (.+)$", builder, re.M):
        *sources, _dest = line.split()
        for source in sources:
            if source != "README.md":
                assert (ROOT / source).exists(), source
    packages = {"newswire", "schemas", "producers", "processors", "gateway"}
    assert packages <= {line.split()[0] for line in re.findall(r"^COPY (.+)$", builder, re.M)}
