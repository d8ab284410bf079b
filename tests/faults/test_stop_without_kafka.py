"""SIGTERM stops a service even when Kafka went away while it ran (a clean stop cannot reach it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newswire.commands.processor import SHUTDOWN_DEADLINE_S
from newswire.kafka import LocalKafka, ensure_topics
from newswire.schemas import topics
from support import TIMEOUT, stop_process

pytestmark = pytest.mark.faults


def test_processor_stops_on_sigterm_after_kafka_vanished(tmp_path: Path) -> None:
    """The worker's clean stop would wait for Kafka forever; it exits 0 within its shutdown deadline."""
    broker = LocalKafka(log_path=tmp_path / "broker.log")
    ready = tmp_path / "ready"
    log = tmp_path / "processor.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        asyncio.run(broker.start(TIMEOUT * 4))
        asyncio.run(ensure_topics(broker.bootstrap, topics.ALL, partitions=2))
        proc = subprocess.Popen([sys.executable, "-m", "newswire.cli", "processor", "--bootstrap", broker.bootstrap,
                                 "--ready-file", str(ready)], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT * 4
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
            time.sleep(0.1)
        broker.stop()
        proc.terminate()
        assert proc.wait(SHUTDOWN_DEADLINE_S + TIMEOUT) == 0
    finally:
        stop_process(proc)
        broker.stop()
