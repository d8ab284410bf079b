"""``newswire topics create|describe``: create and inspect the Kafka topics newswire uses.

``create`` is idempotent (topics that exist are left as they are), so it runs as a one-shot
job before the services start (see docker-compose.yml). Partitions, replication and retention
come from flags or the settings ``NEWSWIRE_KAFKA_PARTITIONS``, ``NEWSWIRE_KAFKA_REPLICATION`` and
``NEWSWIRE_KAFKA_RETENTION_MS``; ``NEWSWIRE_PROCESSOR_NINJS_TOPIC=true`` adds ``newswire.entries.ninjs``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, KafkaError, for_code

from newswire.commands import EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, add_bootstrap_argument
from newswire.kafka import KafkaSettings, wait_for_metadata
from newswire.kafka.settings import min_insync_replicas
from newswire.schemas import topics
from newswire.settings import env_bool, env_int, lookup

__all__ = ["TopicSpec", "TopicInfo", "Outcome", "wanted_topics", "outcomes", "topic_infos", "format_table",
           "create_topics", "describe_topics", "register"]

RETENTION = "retention.ms"
TOPIC_EXISTS = 36  # Kafka error code TOPIC_ALREADY_EXISTS


@dataclass(frozen=True)
class TopicSpec:
    """A topic as newswire wants it."""

    name: str
    partitions: int
    replication: int
    configs: dict[str, str] = field(default_factory=dict)

    def new_topic(self) -> NewTopic:
        return NewTopic(self.name, self.partitions, self.replication, topic_configs=dict(self.configs))


@dataclass(frozen=True)
class Outcome:
    """What ``create`` did for one topic: ``created``, ``exists`` or ``failed``."""

    name: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class TopicInfo:
    """One topic as the broker describes it (``partitions`` 0 and ``missing`` when it does not exist)."""

    name: str
    partitions: int
    replication: int
    retention_ms: str | None
    missing: bool = False


def wanted_topics(*, partitions: int, replication: int, retention_ms: int | None,
                  ninjs: bool, min_insync_replicas: int | None = None) -> list[TopicSpec]:
    """The topics newswire needs; ``retention_ms`` None keeps the broker's default retention. Replicated
    topics get ``min.insync.replicas`` (a write with acks=all needs that many copies)."""
    if partitions < 1 or replication < 1:
        raise ValueError("partitions and replication must be at least 1")
    if retention_ms is not None and retention_ms < -1:
        raise ValueError("retention must be -1 (forever) or a number of milliseconds")
    configs = {RETENTION: str(retention_ms)} if retention_ms is not None else {}
    if replication > 1 and min_insync_replicas:
        if min_insync_replicas > replication:
            raise ValueError(f"min.insync.replicas {min_insync_replicas} is more than the replication {replication}")
        configs["min.insync.replicas"] = str(min_insync_replicas)
    names = [*topics.ALL, topics.NINJS] if ninjs else list(topics.ALL)
    return [TopicSpec(name, partitions, replication, configs) for name in names]


def outcomes(specs: Iterable[TopicSpec], topic_errors: Iterable[Mapping[str, Any]],
             partition_counts: Mapping[str, int]) -> list[Outcome]:
    """Turn a CreateTopics answer into one outcome per topic.

    ``topic_errors`` are the answer's ``{"topic", "error_code", "error_message"}`` rows;
    ``partition_counts`` are the partitions of topics that existed before (to warn when fewer than wanted).
    """
    errors = {row["topic"]: row for row in topic_errors}
    result = []
    for spec in specs:
        row = errors.get(spec.name, {"error_code": TOPIC_EXISTS, "error_message": None})
        code = row["error_code"]
        if code == 0:
            result.append(Outcome(spec.name, "created", f"{spec.partitions} partitions"))
        elif code == TOPIC_EXISTS:
            have = partition_counts.get(spec.name)
            detail = f"{have} partitions" if have is not None else ""
            if have is not None and have < spec.partitions:
                detail += f" (fewer than the {spec.partitions} asked; existing topics are not changed)"
            result.append(Outcome(spec.name, "exists", detail))
        else:
            error = for_code(code)
            result.append(Outcome(spec.name, "failed", row.get("error_message") or error.__name__))
    return result


def topic_infos(names: Iterable[str], metadata: Iterable[Mapping[str, Any]],
                retention: Mapping[str, str | None]) -> list[TopicInfo]:
    """Rows for ``describe`` from metadata (``{"topic", "error_code", "partitions"}`` rows) and retention."""
    by_name = {t["topic"]: t for t in metadata if t.get("error_code", 0) == 0}
    rows = []
    for name in names:
        topic = by_name.get(name)
        if topic is None:
            rows.append(TopicInfo(name, 0, 0, None, missing=True))
            continue
        parts = topic["partitions"]
        replication = min((len(p["replicas"]) for p in parts), default=0)
        rows.append(TopicInfo(name, len(parts), replication, retention.get(name)))
    return rows


def format_table(rows: Iterable[TopicInfo]) -> str:
    lines = [f"{'topic':<26} {'partitions':>10} {'replication':>11}  retention.ms"]
    for row in rows:
        if row.missing:
            lines.append(f"{row.name:<26} {'missing':>10}")
        else:
            retention = row.retention_ms if row.retention_ms is not None else "(broker default)"
            lines.append(f"{row.name:<26} {row.partitions:>10} {row.replication:>11}  {retention}")
    return "\n".join(lines)


async def create_topics(bootstrap: str, specs: list[TopicSpec], *, wait: float = 60.0) -> list[Outcome]:
    """Create the topics that do not exist yet, once the broker answers (within ``wait`` seconds)."""
    await wait_for_metadata(bootstrap, wait)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        missing = [s for s in specs if s.name not in existing]
        errors: list[Mapping[str, Any]] = []
        if missing:
            answer = await admin.create_topics([s.new_topic() for s in missing])
            errors = answer.to_object()["topic_errors"]
        return outcomes(specs, errors, existing)
    finally:
        await admin.close()


async def describe_topics(bootstrap: str, names: list[str], *, wait: float = 60.0) -> list[TopicInfo]:
    """Partitions, replication and retention of ``names`` as the broker reports them."""
    await wait_for_metadata(bootstrap, wait)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        metadata = await admin.describe_topics()
        present = [t["topic"] for t in metadata if t["topic"] in names and t.get("error_code", 0) == 0]
        retention: dict[str, str | None] = {}
        if present:
            resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in present]
            for answer in await admin.describe_configs(resources):
                for res in answer.to_object()["resources"]:
                    values = {e["config_names"]: e["config_value"] for e in res["config_entries"]}
                    retention[res["resource_name"]] = values.get(RETENTION)
        return topic_infos(names, metadata, retention)
    finally:
        await admin.close()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("topics", help="create or describe newswire's Kafka topics",
                       description="Create (idempotently) or describe the Kafka topics newswire uses: "
                                   + ", ".join([*topics.ALL, topics.NINJS]) + ".")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create the topics that do not exist yet",
                                description="Create the topics that do not exist yet; existing ones are left "
                                            "unchanged. Waits for the broker to answer first.")
    create.add_argument("--partitions", type=int,
                        help="partitions per topic (default $NEWSWIRE_KAFKA_PARTITIONS or 4)")
    create.add_argument("--replication", type=int,
                        help="replication factor (default $NEWSWIRE_KAFKA_REPLICATION or 1)")
    create.add_argument("--retention-ms", type=int,
                        help="retention.ms of every topic, -1 for forever (default $NEWSWIRE_KAFKA_RETENTION_MS, "
                             "else the broker's default)")
    create.add_argument("--ninjs", action="store_true", default=None,
                        help="also create newswire.entries.ninjs (default $NEWSWIRE_PROCESSOR_NINJS_TOPIC)")
    describe = actions.add_parser("describe", help="show partitions, replication and retention of each topic",
                                  description="Show partitions, replication and retention.ms of each "
                                              "newswire topic. Exits 1 when a required topic is missing.")
    describe.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    for q in (create, describe):
        add_bootstrap_argument(q)
        q.add_argument("--wait", type=float, default=60.0, metavar="S",
                       help="seconds to wait for the broker to answer (default 60)")
    create.set_defaults(func=run_create)
    describe.set_defaults(func=run_describe)


def _fail(action: str, bootstrap: str, exc: BaseException) -> int:
    if isinstance(exc, TimeoutError | KafkaConnectionError):
        print(f"newswire topics {action}: Kafka at {bootstrap} is not reachable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(f"newswire topics {action}: {exc!r}", file=sys.stderr)
    return EXIT_FAILURE


def retention_setting(env: Mapping[str, str] | None = None) -> int | None:
    """``NEWSWIRE_KAFKA_RETENTION_MS`` of ``env`` (default the process environment), or None (the broker's default)."""
    env = os.environ if env is None else env
    if lookup("NEWSWIRE_KAFKA_RETENTION_MS", env)[1] is None:
        return None
    return env_int("NEWSWIRE_KAFKA_RETENTION_MS", 0, minimum=-1, env=env)


def run_create(args: argparse.Namespace) -> int:
    kafka = KafkaSettings.from_env()
    bootstrap = args.bootstrap or kafka.bootstrap
    retention = args.retention_ms if args.retention_ms is not None else retention_setting()
    replication = args.replication if args.replication is not None else kafka.replication
    try:
        specs = wanted_topics(
            partitions=args.partitions if args.partitions is not None else kafka.partitions,
            replication=replication, min_insync_replicas=min_insync_replicas(replication, kafka.min_insync_replicas),
            retention_ms=retention,
            ninjs=args.ninjs if args.ninjs is not None else env_bool("NEWSWIRE_PROCESSOR_NINJS_TOPIC", False),
        )
    except ValueError as exc:
        print(f"newswire topics create: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        results = asyncio.run(create_topics(bootstrap, specs, wait=args.wait))
    except (TimeoutError, KafkaError, OSError) as exc:
        return _fail("create", bootstrap, exc)
    for result in results:
        print(f"{result.name}: {result.status} {result.detail}".rstrip())
    return EXIT_FAILURE if any(r.status == "failed" for r in results) else EXIT_OK


def run_describe(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or KafkaSettings.from_env().bootstrap
    names = [*topics.ALL, topics.NINJS]
    try:
        rows = asyncio.run(describe_topics(bootstrap, names, wait=args.wait))
    except (TimeoutError, KafkaError, OSError) as exc:
        return _fail("describe", bootstrap, exc)
    if args.json:
        print("\n".join(json.dumps(asdict(row)) for row in rows))
    else:
        print(format_table(rows))
    required_missing = [r.name for r in rows if r.missing and r.name in topics.ALL]
    if required_missing:
        print(f"newswire topics describe: missing {', '.join(required_missing)}; "
              "run `newswire topics create`", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK
