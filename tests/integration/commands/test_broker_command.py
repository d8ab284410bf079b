"""`newswire broker`: a local Apache Kafka that keeps its data across restarts, and clear refusals.

Each refusal is a real condition (a port in use, a folder of another cluster, Maven with no reachable
repository), except an old Java, stood in for by a script that prints an old `java -version`.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newswire.kafka import kafka_version
from newswire.ports import free_port
from newswire.schemas import topics
from support import TIMEOUT, newswire, produce, read_topic, stop_process

pytestmark = pytest.mark.integration

READY = re.compile(r"broker listening on (\S+): Apache Kafka (\S+), started in ([\d.]+) s, data in (\S+)")


def _start(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "newswire.cli", "broker", "--port", str(port),
                             "--data-dir", str(data_dir)],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_listening(proc: subprocess.Popen[bytes], log: Path) -> re.Match[str]:
    deadline = time.monotonic() + TIMEOUT * 4
    while time.monotonic() < deadline:
        found = list(READY.finditer(log.read_text(errors="replace")))
        if found:
            return found[-1]
        assert proc.poll() is None, f"newswire broker exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"no 'broker listening' line:\n{log.read_text()[-3000:]}")


def test_records_survive_a_stop_and_a_start_on_the_same_folder(tmp_path: Path) -> None:
    """A record written before Ctrl-C is there after the next start; the ready line says the version and
    the time start-up took; the second start reuses the folder formatted by the first."""
    data, log, port = tmp_path / "nw", tmp_path / "broker.log", free_port()
    proc = _start(data, port, log)
    try:
        ready = _wait_listening(proc, log)
        assert ready.group(1) == f"127.0.0.1:{port}" and ready.group(2) == kafka_version()
        assert float(ready.group(3)) > 0 and Path(ready.group(4)) == (data / "kafka").absolute()
        asyncio.run(produce(ready.group(1), topics.RAW, b"story", b"before the restart"))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(TIMEOUT * 2) == 0
    finally:
        stop_process(proc)
    assert "formatted" in log.read_text()
    again = tmp_path / "again.log"
    proc = _start(data, port, again)
    try:
        _wait_listening(proc, again)
        assert asyncio.run(read_topic(f"127.0.0.1:{port}", topics.RAW)) == [(b"story", b"before the restart")]
        assert "formatted" not in again.read_text()
    finally:
        stop_process(proc, grace=TIMEOUT * 2)
    assert proc.returncode == 0


async def test_a_port_in_use_is_refused() -> None:
    """Another server on the port: exit 2, naming the port and the flag that changes it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _out, err = await newswire("broker", "--port", str(port), timeout=TIMEOUT * 2)
    assert code == 2
    assert f"port {port} is already in use" in err and "--port" in err


async def test_a_folder_of_another_cluster_is_refused_and_kept(tmp_path: Path) -> None:
    """A data folder formatted as another node: exit 2 naming the folder; not one file in it changes."""
    folder = tmp_path / "nw" / "kafka" / "data"
    folder.mkdir(parents=True)
    (folder / "meta.properties").write_text("node.id=3\ndirectory.id=x\nversion=1\ncluster.id=OtherCluster0000000000\n")
    (folder / "__cluster_metadata-0").mkdir()
    (folder / "newswire.entries-0").mkdir()
    before = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    code, _out, err = await newswire("broker", "--port", str(free_port()), "--data-dir", str(tmp_path / "nw"),
                                     timeout=TIMEOUT * 2)
    assert code == 2
    assert f"{folder} was written by another cluster" in err and "never wipes it" in err
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == before


async def test_a_java_older_than_17_exits_69_saying_how_to_get_one(tmp_path: Path) -> None:
    """Java 11 only: exit 69, and the message names the version needed, a package, --bootstrap and compose."""
    java = tmp_path / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    java.chmod(0o755)
    code, _out, err = await newswire("broker", "--port", str(free_port()), env={"NEWSWIRE_KAFKA_JAVA": str(java)})
    assert code == 69
    assert "is Java 11" in err and "needs 17 or newer" in err
    assert "openjdk-17" in err and "--bootstrap" in err and "docker compose" in err


async def test_maven_central_unreachable_with_nothing_cached_exits_69(tmp_path: Path) -> None:
    """First start, no jars cached, Maven's only repository unreachable: exit 69 with Maven's reason, the
    cache folder, and the ways around it; nothing half-written is left in the cache."""
    home = tmp_path / "home"
    (home / ".m2").mkdir(parents=True)
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    (home / ".m2" / "settings.xml").write_text(
        f"<settings><mirrors><mirror><id>down</id><mirrorOf>*</mirrorOf>"
        f"<url>http://127.0.0.1:{dead}/maven2</url></mirror></mirrors></settings>")
    cache = tmp_path / "cache"
    code, _out, err = await newswire("broker", "--port", str(free_port()), timeout=TIMEOUT * 4, env={
        "NEWSWIRE_KAFKA_CACHE": str(cache), "MAVEN_OPTS": f"-Duser.home={home} -Dmaven.repo.local={home / 'repo'}"})
    assert code == 69
    assert "could not fetch Apache Kafka" in err and f"nothing is cached in {cache}" in err
    assert f"127.0.0.1:{dead}" in err  # Maven's own words say where it tried
    assert "--bootstrap" in err
    assert not cache.exists() or list(cache.iterdir()) == []
