"""The running pipeline for end-to-end tests: the session's Kafka, one processor worker and one gateway.

Started once per session on free ports (or on $KAFKA_BOOTSTRAP_SERVERS when set); a part
that cannot start fails the tests loudly.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newswire.ports import free_port
from support import TIMEOUT, stop_process


@dataclass
class Pipeline:
    bootstrap: str
    gateway_port: int
    processor: subprocess.Popen[bytes]
    gateway: subprocess.Popen[bytes]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/ws"


def _newswire(*args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "newswire.cli", *args], stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait(what: str, ready, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
        return bool(resp.status == 200)


@pytest.fixture(scope="session")
def pipeline(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    logs = tmp_path_factory.mktemp("pipeline")
    bootstrap = kafka_bootstrap
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ready_file = logs / "processor.ready"
        processor = _newswire("processor", "--bootstrap", bootstrap, "--ready-file", str(ready_file),
                              log=logs / "processor.log")
        procs.append(processor)
        port = free_port()
        gateway = _newswire("gateway", "--host", "127.0.0.1", "--port", str(port), "--bootstrap", bootstrap,
                            log=logs / "gateway.log")
        procs.append(gateway)
        _wait("processor", ready_file.exists, processor, logs / "processor.log", TIMEOUT * 6)
        _wait("gateway", lambda: _http_ok(f"http://127.0.0.1:{port}/readyz"), gateway, logs / "gateway.log",
              TIMEOUT * 4)
        yield Pipeline(bootstrap, port, processor, gateway)
    finally:
        for proc in procs:
            stop_process(proc)
