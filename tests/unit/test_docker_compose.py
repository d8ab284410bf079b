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
    broken["services"]["ingest"]["depends_on"]["kafka"]["condition"] = "service_ready"
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
        assert args.bootstrap == "kafka:9092", service


def test_kafka_is_apache_kafka_in_kraft_mode(compose: dict[str, Any]) -> None:
    """The broker is the official apache/kafka image acting as its own controller (no ZooKeeper)."""
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert not any("zookeeper" in name for name in compose["services"])
    assert "kafka-broker-api-versions" in " ".join(kafka["healthcheck"]["test"])


def test_topics_are_created_once_before_the_services(compose: dict[str, Any]) -> None:
    """A one-shot job creates the topics with partitions and retention from settings; services wait for it."""
    topics = compose["services"]["topics"]
    assert topics["restart"] == "no"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    for key in ("NEWSWIRE_PARTITIONS", "NEWSWIRE_RETENTION_MS", "NEWSWIRE_REPLICATION"):
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


def test_producers_use_the_idempotent_producer(compose: dict[str, Any]) -> None:
    """Apache Kafka supports InitProducerId, so every newswire service enables idempotence there."""
    for name in ("ingest", "processor", "gateway-1", "gateway-2", "topics"):
        assert compose["services"][name]["environment"]["NEWSWIRE_KAFKA_IDEMPOTENCE"] == "true", name


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


def test_dockerfile_installs_the_project_from_files_that_exist() -> None:
    """The image pip-installs the project; every folder it copies exists (README.md comes with the project)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^(RUN|\s+&&) pip install \.", text, re.M)  # in a RUN, first or after &&
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        *sources, _dest = line.split()
        for source in sources:
            if source != "README.md":
                assert (ROOT / source).exists(), source
    packages = {"newswire", "schemas", "producers", "processors", "gateway"}
    assert packages <= {line.split()[0] for line in re.findall(r"^COPY (.+)$", text, re.M)}
