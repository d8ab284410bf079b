"""Topic admin and readiness: what every part asks Kafka before it starts work."""

from __future__ import annotations

import asyncio
import socket
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

__all__ = ["wait_for_metadata", "ensure_topics", "partition_count", "topic_partitions", "tcp_open"]


def tcp_open(bootstrap: str) -> bool:
    """True when the first bootstrap address accepts a TCP connection (avoids client error logs while waiting)."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
            return True
    except OSError:
        return False


async def wait_for_metadata(bootstrap: str, timeout: float = 30.0) -> None:
    """Return once a Kafka broker at ``bootstrap`` answers a metadata request; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not tcp_open(bootstrap):
            await asyncio.sleep(0.05)
            continue
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.describe_cluster()
            return
        except (KafkaError, OSError) as exc:
            last = exc
        finally:
            try:
                await admin.close()
            except Exception:  # closing a client that never connected may fail; nothing to release
                pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer metadata within {timeout:.0f} s ({last!r})")


async def ensure_topics(
    bootstrap: str, names: tuple[str, ...] | list[str], partitions: int, replication: int = 1,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics that do not exist yet, with ``configs`` (existing ones are left as they are)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, partitions, replication, topic_configs=dict(configs or {}))
                   for n in names if n not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def topic_partitions(kafka: str | AIOKafkaAdminClient, topic: str, *, timeout_ms: int = 10_000) -> set[int]:
    """The partition numbers of ``topic`` (fresh metadata from the cluster), empty when it does not exist.

    ``kafka`` is a bootstrap address (a client is opened for this one question) or a started admin client of
    the caller's, for one that asks again and again."""
    if isinstance(kafka, AIOKafkaAdminClient):
        described = await kafka.describe_topics([topic])
    else:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka, request_timeout_ms=timeout_ms)
        await admin.start()
        try:
            described = await admin.describe_topics([topic])
        finally:
            await admin.close()
    for item in described:
        if item.get("topic") == topic and not item.get("error_code"):
            return {int(p["partition"]) for p in item.get("partitions") or []}
    return set()


async def partition_count(bootstrap: str, topic: str) -> int | None:
    """Partitions of ``topic``, or None when it does not exist."""
    return len(await topic_partitions(bootstrap, topic)) or None
