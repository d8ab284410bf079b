"""``newswire gateway --workers 2``: two processes on one port, each serving every story, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import urllib.request

import pytest
import websockets

from newswire.ports import free_port

from .conftest import TIMEOUT, EntryWriter, make_entry

pytestmark = pytest.mark.integration


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def child_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


async def _spawn_two_workers(broker: str) -> tuple[int, asyncio.subprocess.Process]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "gateway", "--port", str(port), "--bootstrap", broker,
        "--workers", "2", stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "NEWSWIRE_GATEWAY_JWT_KEY": ""})
    return port, proc


async def _workers_ready(proc: asyncio.subprocess.Process, port: int) -> list[int]:
    """The two workers' pids, once both run and the port answers /readyz."""
    deadline = time.monotonic() + TIMEOUT
    while not (len(child_pids(proc.pid)) == 2 and await asyncio.to_thread(ready, port)):
        assert time.monotonic() < deadline, "workers not ready"
        await asyncio.sleep(0.1)
    return child_pids(proc.pid)


async def test_two_workers_share_a_port_and_stop_cleanly(broker: str, writer: EntryWriter, story: str) -> None:
    """Clients spread over both workers all get the entry; SIGTERM stops the parent and both workers."""
    port, proc = await _spawn_two_workers(broker)
    try:
        workers = await _workers_ready(proc, port)
        clients = [await websockets.connect(f"ws://127.0.0.1:{port}/ws") for _ in range(8)]
        try:
            for ws in clients:
                await ws.send(json.dumps({"type": "subscribe", "channel": f"story:{story}"}))
                assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] == "subscribed"
            await writer.write(make_entry(story, 1))
            for ws in clients:
                msg = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                assert (msg["type"], msg["seq"]) == ("entry", 1)
        finally:
            for ws in clients:
                await ws.close()
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
        assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_workers_stop_when_their_parent_is_killed(broker: str) -> None:
    """A SIGKILLed ``gateway --workers 2`` leaves no worker behind holding the port."""
    port, proc = await _spawn_two_workers(broker)
    workers: list[int] = []
    try:
        workers = await _workers_ready(proc, port)
        proc.kill()
        await proc.wait()
        deadline = time.monotonic() + TIMEOUT
        while [pid for pid in workers if _alive(pid)]:
            assert time.monotonic() < deadline, "workers outlived their parent"
            await asyncio.sleep(0.1)
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
