"""The local Apache Kafka that ``newswire up``, ``newswire broker``, the tests and the benches start.

A single node in KRaft combined mode (broker and controller in one JVM) on loopback, or one node of
a small cluster on loopback (``voters``), run from the ``org.apache.kafka:kafka_2.13`` jars pinned in
``pom.xml`` beside this file. The jars are resolved once with the machine's Maven into a cache outside
the repository (:func:`kafka_jars`); the data folder is formatted on first start and kept across
restarts (:func:`inspect_data_dir` refuses one it did not write, and never wipes it).

Errors a user can act on are :class:`LocalKafkaError` subclasses whose message says what to do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from newswire.kafka.admin import wait_for_metadata
from newswire.ports import free_port, port_is_free
from newswire.settings import env_str
from newswire.supervisor import die_with_parent

__all__ = ["LocalKafkaError", "JavaUnavailable", "JarsUnavailable", "DataDirError", "BrokerExited", "KafkaNode",
           "LocalKafka", "kafka_version", "kafka_jars", "find_java", "java_major", "inspect_data_dir",
           "node_properties", "maven_errors", "MIN_JAVA", "HEAP", "cache_dir"]

log = logging.getLogger("newswire.kafka")

#: Oldest Java the Apache Kafka 4.x broker runs on.
MIN_JAVA = 17
#: The JVM heap: enough for a newsroom's topics on one node, small enough for a laptop or a 2-core CI machine.
HEAP = "512m"

_GET_OFF = ("use --bootstrap HOST:PORT (or KAFKA_BOOTSTRAP_SERVERS) to use a Kafka you run, "
            "or `docker compose up` (docker-compose.yml)")


class LocalKafkaError(RuntimeError):
    """The local Kafka cannot run; the message says why and what to do."""


class JavaUnavailable(LocalKafkaError):
    """No Java, or one older than :data:`MIN_JAVA`."""


class JarsUnavailable(LocalKafkaError):
    """Kafka's jars are not cached and Maven could not fetch them."""


class DataDirError(LocalKafkaError):
    """The data folder is corrupt or belongs to another cluster (it is left as it is)."""


class BrokerExited(LocalKafkaError):
    """The broker process exited during start-up; the message holds its last output."""


def _pom() -> Path:
    return Path(str(resources.files("newswire.kafka").joinpath("pom.xml")))


def _log4j_config() -> Path:
    return Path(str(resources.files("newswire.kafka").joinpath("log4j2.yaml")))


@functools.cache
def kafka_version(pom: Path | None = None) -> str:
    """The Apache Kafka version pinned in ``pom.xml`` (read once per process)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(pom or _pom()).getroot()
    node = root.find("m:properties/m:kafka.version", ns)
    if node is None or not (node.text or "").strip():
        raise LocalKafkaError(f"{pom or _pom()}: no kafka.version property")
    return (node.text or "").strip()


def cache_dir() -> Path:
    """Where resolved jars are kept: ``NEWSWIRE_KAFKA_CACHE``, else ``$XDG_CACHE_HOME/newswire/kafka``."""
    explicit = os.environ.get("NEWSWIRE_KAFKA_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newswire" / "kafka"


def kafka_jars(cache: Path | None = None, *, mvn: str | None = None, timeout: float = 600) -> Path:
    """The folder holding Kafka's jars, resolved with Maven on first use and cached after.

    The folder's name carries the version and a hash of the pom, so a changed pin resolves again;
    the jars are copied into a temporary folder and renamed into place, so concurrent first starts
    (a test session, ``newswire up``) never see a half-written set."""
    pom = _pom()
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    target = (cache or cache_dir()) / f"kafka-{kafka_version(pom)}-{digest}"
    if (target / ".complete").exists():
        return target
    mvn = mvn or env_str("NEWSWIRE_KAFKA_MVN", "") or shutil.which("mvn")
    if not mvn:
        raise JarsUnavailable(
            f"Apache Kafka {kafka_version(pom)} is not cached in {target.parent} and Maven (`mvn`) is not installed "
            f"to fetch it from Maven Central (apt-get install maven); or {_GET_OFF}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    started = time.monotonic()
    log.info("fetching Apache Kafka %s from Maven Central into %s (once)", kafka_version(pom), target)
    try:
        done = subprocess.run(
            [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(pom), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={staging}"],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
            said = maven_errors(done.stdout + done.stderr)
            raise JarsUnavailable(
                f"could not fetch Apache Kafka {kafka_version(pom)} from Maven Central with {mvn} "
                f"(exit code {done.returncode}), and nothing is cached in {target.parent} yet:\n  "
                + "\n  ".join(said or (done.stdout + done.stderr).strip().splitlines()[-6:])
                + f"\nCheck the network or Maven's proxy settings (~/.m2/settings.xml) and try again; or {_GET_OFF}")
        (staging / ".complete").write_text(kafka_version(pom) + "\n")
        try:
            staging.rename(target)
        except OSError:  # another process finished first: its copy is as good as ours
            if not (target / ".complete").exists():
                raise
    except subprocess.TimeoutExpired as exc:
        raise JarsUnavailable(f"Maven did not finish fetching Apache Kafka within {timeout:.0f} s; {_GET_OFF}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("Apache Kafka %s fetched in %.1f s", kafka_version(pom), time.monotonic() - started)
    return target


def maven_errors(output: str, limit: int = 3) -> list[str]:
    """The lines of Maven's output that say what went wrong, without its colour codes and boilerplate."""
    boilerplate = ("re-run maven", "for more information", "[help", "to see the full stack trace")
    found = []
    for line in re.sub(r"\x1b?\[[0-9;]*m", "", output).splitlines():
        text = line.replace("[ERROR]", "").strip()
        if line.lstrip().startswith("[ERROR]") and text and not text.lower().startswith(boilerplate):
            found.append(re.sub(r"\s*->\s*\[Help \d+\]$", "", text))
    return found[:limit]


def java_major(version_output: str) -> int | None:
    """The major version in ``java -version``'s output (``"17.0.15"`` → 17, ``"1.8.0_402"`` → 8)."""
    found = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """The ``java`` to run Kafka with: ``NEWSWIRE_KAFKA_JAVA``, ``$JAVA_HOME/bin/java`` or ``java`` on PATH (at
    least 17)."""
    candidates = [env_str("NEWSWIRE_KAFKA_JAVA", "") or None,
                  str(Path(os.environ["JAVA_HOME"]) / "bin" / "java") if os.environ.get("JAVA_HOME") else None,
                  shutil.which("java")]
    java = next((c for c in candidates if c and Path(c).exists()), None)
    how = (f"install Java {MIN_JAVA} or newer (Debian: apt-get install openjdk-17-jre-headless) and put it on PATH "
           f"or in NEWSWIRE_KAFKA_JAVA / JAVA_HOME; or {_GET_OFF}")
    if java is None:
        raise JavaUnavailable(f"no Java found to run the local Apache Kafka: {how}")
    try:
        shown = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaUnavailable(f"{java} does not run ({exc}): {how}") from exc
    major = java_major(shown.stderr + shown.stdout)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "a Java whose version it does not print"
        raise JavaUnavailable(f"{java} is {found}; Apache Kafka {kafka_version()} needs {MIN_JAVA} or newer: {how}")
    return java


def inspect_data_dir(log_dir: Path, node_id: int) -> str | None:
    """The cluster id a data folder was formatted with, None when it is new (absent or empty).

    Raises :class:`DataDirError` for a folder that holds something else, is damaged, or was formatted
    for another node; the folder itself is never changed."""
    if not log_dir.exists() or not any(log_dir.iterdir()):
        return None
    meta = log_dir / "meta.properties"
    fix = "move it away or choose another folder (--data-dir / NEWSWIRE_DATA_DIR); newswire never wipes it"
    if not meta.is_file():
        raise DataDirError(f"{log_dir} is not empty but holds no Kafka meta.properties (not a Kafka data folder, "
                           f"or a damaged one): {fix}")
    try:
        props = dict(line.split("=", 1) for line in meta.read_text("utf-8").splitlines()
                     if "=" in line and not line.startswith("#"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataDirError(f"{meta} cannot be read ({exc}): {fix}") from exc
    if props.get("version") != "1" or not props.get("cluster.id") or not props.get("node.id", "").isdigit():
        raise DataDirError(f"{meta} is damaged or not a KRaft one (version {props.get('version')!r}, "
                           f"cluster.id {props.get('cluster.id')!r}, node.id {props.get('node.id')!r}): {fix}")
    if int(props["node.id"]) != node_id:
        raise DataDirError(f"{log_dir} was written by another cluster (it is node {props['node.id']} of cluster "
                           f"{props['cluster.id']}; this broker is node {node_id}): {fix}")
    if not (log_dir / "__cluster_metadata-0").is_dir():
        raise DataDirError(f"{log_dir} has lost its cluster metadata (__cluster_metadata-0): {fix}")
    return props["cluster.id"].strip()


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as kafka-storage random-uuid)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass(frozen=True)
class KafkaNode:
    """One node's configuration: where it listens, who votes, where its data lives."""

    port: int
    controller_port: int
    data_dir: Path
    node_id: int = 1
    host: str = "127.0.0.1"
    #: node id → controller port of every voter; a single node when empty.
    voters: dict[int, int] = field(default_factory=dict)
    #: replication of Kafka's own topics (offsets, transactions) and the default for new ones.
    replication: int = 1
    min_insync_replicas: int = 1

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "data"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


def node_properties(node: KafkaNode) -> str:
    """The ``server.properties`` of a node (pure; written at every start since ports may change)."""
    voters = node.voters or {node.node_id: node.controller_port}
    lines = {
        "process.roles": "broker,controller",
        "node.id": node.node_id,
        "controller.quorum.voters": ",".join(f"{n}@127.0.0.1:{p}" for n, p in sorted(voters.items())),
        "listeners": f"PLAINTEXT://{node.host}:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{node.host}:{node.port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": node.log_dir,
        "num.partitions": 4,
        "default.replication.factor": node.replication,
        "min.insync.replicas": node.min_insync_replicas,
        "offsets.topic.replication.factor": node.replication,
        # fewer than the default 50: a group's first join creates this topic, and every partition costs start-up
        "offsets.topic.num.partitions": 8,
        "transaction.state.log.replication.factor": node.replication,
        "transaction.state.log.min.isr": min(node.min_insync_replicas, node.replication),
        "transaction.state.log.num.partitions": 4,
        "share.coordinator.state.topic.replication.factor": node.replication,
        "share.coordinator.state.topic.min.isr": min(node.min_insync_replicas, node.replication),
        # a lone consumer (a processor worker, a downstream reader) joins at once instead of after 3 s
        "group.initial.rebalance.delay.ms": 0,
        "num.network.threads": 2,
        "num.io.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{k}={v}\n" for k, v in lines.items())


class LocalKafka:
    """One Apache Kafka node on loopback.

    ``async with LocalKafka(data_dir=…) as kafka:`` prepares (Java, jars, format), starts the JVM and
    waits until it answers metadata; leaving the block stops it. ``data_dir=None`` uses a temporary
    folder removed at :meth:`stop`. :meth:`command` gives the argv alone, for a supervisor that runs it.
    """

    def __init__(self, port: int | None = None, *, data_dir: Path | str | None = None, host: str = "127.0.0.1",
                 node_id: int = 1, controller_port: int | None = None, voters: dict[int, int] | None = None,
                 cluster_id: str | None = None, replication: int = 1, min_insync_replicas: int = 1,
                 heap: str | None = None, log_path: Path | None = None) -> None:
        self._temporary = data_dir is None
        data = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="newswire-kafka-"))
        self.node = KafkaNode(port=port or free_port(host), controller_port=controller_port or free_port(),
                              data_dir=data.absolute(), node_id=node_id, host=host, voters=dict(voters or {}),
                              replication=replication, min_insync_replicas=min_insync_replicas)
        self.cluster_id = cluster_id
        self.heap = heap or os.environ.get("NEWSWIRE_KAFKA_HEAP") or HEAP
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None
        self._spawned_at = 0.0
        self._tail: deque[str] = deque(maxlen=30)

    @property
    def port(self) -> int:
        return self.node.port

    @property
    def bootstrap(self) -> str:
        return self.node.bootstrap

    @property
    def data_dir(self) -> Path:
        return self.node.data_dir

    def command(self) -> list[str]:
        """Check Java and the data folder, fetch the jars if needed, format a new folder, write the config;
        return the argv that runs the node in the foreground."""
        java = find_java()
        jars = kafka_jars()
        node = self.node
        node.data_dir.mkdir(parents=True, exist_ok=True)
        found = inspect_data_dir(node.log_dir, node.node_id)
        config = node.data_dir / "server.properties"
        config.write_text(node_properties(node))
        # C1 only (TieredStopAtLevel=1): a fresh broker's JIT warm-up took a third of a core for its first
        # minute, from the gateway and the processor on a 2-core machine. In bench/gateway/run.py's saturation
        # scenario: broker CPU 13-17 % instead of 24-45 % of a core, p99 121-126 ms instead of 143-145.
        jvm = [java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseG1GC",
               "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
               "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={_log4j_config()}", "-cp", f"{jars}/*"]
        if found is None:
            self.cluster_id = self.cluster_id or new_cluster_id()
            formatted = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "--ignore-formatted",
                                        # "=": an id may start with "-"
                                        f"--cluster-id={self.cluster_id}", f"--config={config}"],
                                       capture_output=True, text=True, timeout=120, check=False)
            if formatted.returncode != 0:
                raise DataDirError(f"could not format {node.log_dir}: "
                                   f"{(formatted.stdout + formatted.stderr).strip()[-800:]}")
            log.info("formatted %s for Kafka cluster %s", node.log_dir, self.cluster_id)
        elif self.cluster_id and found != self.cluster_id:
            raise DataDirError(f"{node.log_dir} was written by another cluster ({found}, not {self.cluster_id}): "
                               "move it away or choose another folder; newswire never wipes it")
        else:
            self.cluster_id = found
        return [*jvm, "kafka.Kafka", str(config)]

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the JVM without waiting for it to answer."""
        if not port_is_free(self.node.port, self.node.host):
            raise OSError(f"port {self.node.port} on {self.node.host} is already in use; choose another "
                          "(--broker-port / --port)")
        argv = self.command()
        out = open(self.log_path, "ab") if self.log_path else subprocess.PIPE  # noqa: SIM115
        self._spawned_at = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        preexec_fn=die_with_parent)
        if self.log_path is None:  # keep the last lines for error messages
            threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()
        return self.process

    def _drain(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self._tail.append(raw.decode("utf-8", "replace").rstrip())

    def output(self) -> str:
        """The broker's last lines of output."""
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-30:])
        return "\n".join(self._tail)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once the node answers metadata; raise :class:`BrokerExited` if it dies first."""
        assert self.process is not None
        proc = self.process
        waiter = asyncio.create_task(wait_for_metadata(self.bootstrap, timeout))
        try:
            while not waiter.done():
                if proc.poll() is not None:
                    raise BrokerExited(f"Apache Kafka (node {self.node.node_id}, data {self.node.data_dir}) exited "
                                       f"during start-up with code {proc.returncode}:\n{self.output()}")
                await asyncio.wait({waiter}, timeout=0.1)
            waiter.result()
        finally:
            waiter.cancel()
        self.started_in = time.monotonic() - self._spawned_at
        log.info("Apache Kafka %s (node %d) started on %s in %.1f s (data %s)", kafka_version(), self.node.node_id,
                 self.bootstrap, self.started_in, self.node.data_dir)

    async def start(self, timeout: float = 60.0) -> None:
        self.spawn()
        try:
            await self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL the node (fault tests); its data folder stays."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM (Kafka's controlled shutdown), SIGKILL after ``grace``; a temporary data folder is removed."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._temporary:
            shutil.rmtree(self.node.data_dir, ignore_errors=True)

    @classmethod
    def cluster(cls, size: int, root: Path, *, min_insync_replicas: int | None = None) -> list[LocalKafka]:
        """``size`` nodes of one new cluster on loopback (not started), each a broker and a controller voter,
        with data under ``root/node-N``; Kafka's own topics replicated ``size`` times. Start them together
        (:meth:`spawn` each, then :meth:`wait_ready` each): a controller quorum needs a majority."""
        ports = {n: free_port() for n in range(1, size + 1)}
        voters = {n: free_port() for n in ports}
        cluster_id = new_cluster_id()
        in_sync = min_insync_replicas if min_insync_replicas is not None else max(size - 1, 1)
        return [cls(ports[n], data_dir=root / f"node-{n}", node_id=n, controller_port=voters[n], voters=voters,
                    cluster_id=cluster_id, replication=size, min_insync_replicas=in_sync,
                    log_path=root / f"node-{n}.log")
                for n in ports]

    async def __aenter__(self) -> LocalKafka:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
