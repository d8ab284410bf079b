"""Processor workers as subprocesses on a fresh local Kafka per test (topics start empty).

A worker that cannot start fails the test loudly with the end of its log.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newswire.kafka import LocalKafka, ensure_topics
from newswire.ports import free_port
from newswire.schemas import topics
from support import TIMEOUT, stop_process

PARTITIONS = 4


def wait_until(what: str, condition: Callable[[], bool], timeout: float) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Worker:
    """One ``newswire processor`` subprocess (restartable) with its metrics port and ready file."""

    name: str
    bootstrap: str
    group: str
    logs: Path
    metrics_port: int = field(default_factory=free_port)
    #: more command-line flags for ``newswire processor``
    args: tuple[str, ...] = ()
    #: more environment variables for it
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.logs / f"{self.name}-{self.starts}.log"

    @property
    def ready_file(self) -> Path:
        return self.logs / f"{self.name}-{self.starts}.ready"

    def start(self) -> None:
        self.starts += 1
        env = {**os.environ, "NEWSWIRE_PROCESSOR_GROUP": self.group, "NEWSWIRE_PROCESSOR_SESSION_TIMEOUT_S": "6",
               "NEWSWIRE_PROCESSOR_REBALANCE_TIMEOUT_S": "3", "NEWSWIRE_PROCESSOR_COMMIT_INTERVAL_MS": "200",
               **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswire.cli", "processor", "--bootstrap", self.bootstrap, "--metrics-port",
             str(self.metrics_port), "--ready-file", str(self.ready_file), *self.args],
            stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            return self.ready_file.exists()

        wait_until(f"{self.name} to be ready", ready, TIMEOUT * 4)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample the worker exposes, by (name, sorted labels)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
            text = resp.read().decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def sample(self, name: str, **labels: str) -> float:
        try:
            return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)
        except OSError:
            return 0.0

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no flush, no commit, no leave-group
        self.process.wait()

    def stop(self) -> None:
        proc, self.process = self.process, None
        stop_process(proc)


@dataclass
class Cluster:
    bootstrap: str
    logs: Path
    workers: list[Worker] = field(default_factory=list)

    def worker(self, name: str, group: str = "newswire-processor-test", *args: str) -> Worker:
        worker = Worker(name, self.bootstrap, group, self.logs, args=args)
        self.workers.append(worker)
        return worker


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A fresh local Kafka with the newswire topics ({PARTITIONS} partitions); workers stopped after."""
    broker = LocalKafka(log_path=tmp_path / "broker.log")
    state = Cluster(broker.bootstrap, tmp_path)
    try:
        asyncio.run(broker.start(TIMEOUT * 4))
        asyncio.run(ensure_topics(broker.bootstrap, topics.ALL, partitions=PARTITIONS))
        yield state
    finally:
        for worker in state.workers:
            worker.stop()
        broker.stop()
