"""`newswire up`: one ready line, every part serving, a clean stop on Ctrl-C or SIGTERM, clear refusals."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newswire.ports import free_port
from support import TIMEOUT

READY = re.compile(r"(?<![a-z])ready(?![a-z])", re.IGNORECASE)


def _group_members(pgid: int) -> list[str]:
    """Live processes of a process group, as 'pid name'."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(f"{entry} {stat[stat.find('(') + 1:stat.rfind(')')]}")
    return members


def _start_up(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, dict[str, int]]:
    ports = {"broker": free_port(), "gateway": free_port(), "ingest": free_port()}
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswire.cli", "up", "--broker-port", str(ports["broker"]),
         "--gateway-port", str(ports["gateway"]), "--ingest-port", str(ports["ingest"]),
         "--data-dir", str(tmp_path / "data")],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    return proc, log, ports


def _wait_ready(proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + TIMEOUT * 8
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text(errors="replace").splitlines() if READY.search(line)]
        if lines:
            return lines[0]
        assert proc.poll() is None, f"newswire up exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no ready line:\n{log.read_text()[-3000:]}")


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback only)
        return int(resp.status)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "NEWSWIRE_INGEST_TOKEN")}
    env.update(extra)
    return env


@pytest.mark.parametrize("how", ["ctrl-c to the group", "sigterm to up only"])
def test_up_serves_every_part_then_stops_everything(tmp_path: Path, how: str) -> None:
    """One ready line with the URLs; gateway and ingest answer; a generated token is printed once; the stop
    leaves no process behind."""
    proc, log, ports = _start_up(tmp_path, _env())
    try:
        line = _wait_ready(proc, log)
        assert f"http://127.0.0.1:{ports['gateway']}/" in line and f"ws://127.0.0.1:{ports['gateway']}/ws" in line
        assert f"127.0.0.1:{ports['ingest']}" in line and f"127.0.0.1:{ports['broker']}" in line
        assert _status(f"http://127.0.0.1:{ports['gateway']}/readyz") == 200
        assert _status(f"http://127.0.0.1:{ports['ingest']}/healthz") == 200
        assert len(re.findall(r"ingest token \(generated", log.read_text())) == 1
        if how == "ctrl-c to the group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT * 2) == 0
        deadline = time.monotonic() + TIMEOUT
        while _group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_members(proc.pid) == []
    finally:
        if proc.poll() is None or _group_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_up_refuses_a_port_in_use_with_a_clear_message(tmp_path: Path) -> None:
    """A busy gateway port: exit 2 before starting anything, naming the port and the flag to change it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "newswire.cli", "up", "--broker-port", str(free_port()), "--gateway-port",
             str(port), "--ingest-port", str(free_port())],
            capture_output=True, text=True, timeout=TIMEOUT * 2, env=_env(NEWSWIRE_INGEST_TOKEN="t" * 32))
    assert result.returncode == 2
    assert f"gateway port {port}" in result.stderr and "--gateway-port" in result.stderr
