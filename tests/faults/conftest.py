"""The fault tier: the real pipeline (``newswire up`` on free ports) broken on purpose while entries flow.

:class:`Up` runs ``newswire up`` in its own process group and finds each part's pid in its log;
:class:`StoryWatcher` is a websocket client that resumes with ``since`` and counts what it saw by
``(story, seq)`` and ``(id, version)``; :class:`Poster` sends entries to the ingest API and retries
a 503 or a refused connection, as a newsroom system must.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import websockets

from newswire.ports import free_port
from support import TIMEOUT

TOKEN = "fault-suite-token-5b1d7e0c9a"
_STARTED = re.compile(r"newswire\.up: ([\w-]+) started \(pid (\d+)\)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


async def wait_until(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


class Up:
    """``newswire up`` with every port free; stdout and stderr go to one log file."""

    def __init__(self, workdir: Path, *, token: str = TOKEN, extra_env: dict[str, str] | None = None,
                 kafka: str | None = None) -> None:
        self.broker_port, self.gateway_port, self.ingest_port = free_port(), free_port(), free_port()
        #: an external Kafka (``--bootstrap``) instead of the local one that ``up`` starts
        self.kafka = kafka
        self.log_path = workdir / "up.log"
        self.data_dir = workdir / "data"
        self.token = token
        self.env = env = dict(os.environ, NEWSWIRE_INGEST_TOKEN=token, PYTHONUNBUFFERED="1", **(extra_env or {}))
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        broker = (["--bootstrap", self.kafka] if self.kafka else
                  ["--broker-port", str(self.broker_port), "--data-dir", str(self.data_dir)])
        return subprocess.Popen(
            [sys.executable, "-m", "newswire.cli", "up", *broker,
             "--gateway-port", str(self.gateway_port), "--ingest-port", str(self.ingest_port)],
            stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, start_new_session=True)

    def restart_after_sigkill(self) -> None:
        """SIGKILL the whole process group of ``newswire up`` (as a crash or an OOM kill of the host would), then
        start it again on the same ports and data folder, and wait for its ready line."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log_path.write_text("")  # the ready line and pids of the next run only
        self.process = self._spawn()
        self.wait_ready()


    @property
    def bootstrap(self) -> str:
        return self.kafka or f"127.0.0.1:{self.broker_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/ws"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = TIMEOUT * 6) -> None:
        deadline = time.monotonic() + timeout
        while "newswire ready" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"newswire up not ready (exit {self.process.returncode}):\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def pid(self, part: str) -> int:
        """The pid of the running ``part`` (broker, processor, gateway, ingest): the last one started."""
        pids = [int(m.group(2)) for m in _STARTED.finditer(self.log()) if m.group(1) == part]
        assert pids, f"{part} never started:\n{self.log()[-2000:]}"
        return pids[-1]

    def starts(self, part: str) -> int:
        return sum(1 for m in _STARTED.finditer(self.log()) if m.group(1) == part)

    async def kill(self, part: str) -> None:
        """SIGKILL ``part`` and wait until ``newswire up`` has started it again and it is ready."""
        before = self.starts(part)
        os.kill(self.pid(part), signal.SIGKILL)
        await wait_until(f"{part} restarted", lambda: self.starts(part) > before, TIMEOUT * 2)
        await wait_until(f"{part} ready again", lambda: f"{part} is back" in self.log()[-20000:], TIMEOUT * 6)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(TIMEOUT * 2)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """One pipeline per fault module (faults leave it changed: no sharing across modules)."""
    pipeline = Up(tmp_path_factory.mktemp("up"))
    try:
        pipeline.wait_ready()
        yield pipeline
    finally:
        pipeline.stop()


def entry_body(i: int, story: str) -> dict[str, Any]:
    """A distinct entry (no near duplicate of another): its own id and words."""
    words = " ".join(f"w{i}x{k}" for k in range(12))
    return {"id": f"{story}-e{i}", "body_text": f"Report {i} on {story}: {words}.",
            "published_at": f"2026-03-14T19:{i % 60:02d}:{(i // 60) % 60:02d}Z"}


@dataclass
class Poster:
    """Posts entries to the ingest API; a 503 or a refused connection is retried until accepted."""

    base_url: str
    token: str = TOKEN
    accepted: list[str] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)

    async def post(self, session: aiohttp.ClientSession, story: str, body: dict[str, Any],
                   timeout: float = TIMEOUT * 4) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            try:
                async with session.post(f"{self.base_url}/v1/stories/{story}/entries", json=body,
                                        headers=headers) as resp:
                    if resp.status == 202:
                        self.accepted.append(body["id"])
                        return
                    assert resp.status == 503, f"{resp.status}: {await resp.text()}"
                    self.refusals["503"] += 1
            except aiohttp.ClientConnectionError:
                self.refusals["connection"] += 1
            assert time.monotonic() < deadline, f"entry {body['id']} not accepted within {timeout:.0f} s"
            await asyncio.sleep(0.1)

    async def post_many(self, story: str, indices: range, per_second: float = 40.0) -> None:
        async with aiohttp.ClientSession() as session:
            for i in indices:
                await self.post(session, story, entry_body(i, story))
                await asyncio.sleep(1 / per_second)


@dataclass
class StoryWatcher:
    """A dashboard-like client of one story: resumes with ``since`` after a disconnect, counts what it saw."""

    url: str
    story: str
    seen_seq: Counter[tuple[str, int]] = field(default_factory=Counter)
    seen_version: Counter[tuple[str, int]] = field(default_factory=Counter)
    entries: list[dict[str, Any]] = field(default_factory=list)
    #: when each entry arrived (time.monotonic())
    arrived: list[float] = field(default_factory=list)
    resyncs: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[str] = field(default_factory=list)
    connections: int = 0
    subscribed: int = 0
    last_seq: int = 0

    @property
    def ids(self) -> set[str]:
        return {e["entry"]["id"] for e in self.entries}

    def duplicates(self) -> list[tuple[str, int]]:
        return [k for k, n in self.seen_version.items() if n > 1]

    async def run(self) -> None:
        """Read forever, reconnecting with ``since`` (the last seq seen) whenever the connection drops."""
        while True:
            try:
                async with websockets.connect(self.url, open_timeout=2) as ws:
                    self.connections += 1
                    await ws.send(orjson.dumps({"type": "subscribe", "channel": f"story:{self.story}",
                                                "since": self.last_seq}).decode())
                    async for raw in ws:
                        self._handle(orjson.loads(raw))
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.1)

    def _handle(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "subscribed":
            self.subscribed += 1
            if msg.get("epoch") and (not self.epochs or self.epochs[-1] != msg["epoch"]):
                self.epochs.append(msg["epoch"])
        elif msg["type"] == "resync":
            self.resyncs.append(msg)
            self.last_seq = 0
        elif msg["type"] == "entry":
            if self.epochs and msg["epoch"] != self.epochs[-1]:
                self.epochs.append(msg["epoch"])
            elif not self.epochs:
                self.epochs.append(msg["epoch"])
            self.seen_seq[(msg["epoch"], msg["seq"])] += 1
            self.seen_version[(msg["entry"]["id"], msg["entry"]["version"])] += 1
            self.entries.append(msg)
            self.arrived.append(time.monotonic())
            self.last_seq = msg["seq"]


@contextlib.asynccontextmanager
async def running(*coros: Any) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Run background tasks for the block, then cancel them."""
    tasks = [asyncio.create_task(c) for c in coros]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
