"""`newswire ingest` as `newswire up` runs it: no token refused, /healthz served, SIGTERM stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp

from newswire.ports import free_port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSWIRE_INGEST_TOKEN"}
    return {**env, **extra}


def test_refuses_to_start_without_a_token() -> None:
    """No NEWSWIRE_INGEST_TOKEN and no --insecure-dev: exit 2 with a message naming the variable."""
    done = subprocess.run([sys.executable, "-m", "newswire.cli", "ingest", "--port", str(free_port())],
                          env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "NEWSWIRE_INGEST_TOKEN" in done.stderr


async def test_serves_healthz_and_stops_on_sigterm(broker: str, wait_timeout: float) -> None:
    """With a token: /healthz and /readyz 200, a POST accepted, exit 0 on SIGTERM, token never printed."""
    port = free_port()
    token = "cmd-test-token-4711"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "ingest", "--host", "127.0.0.1", "--port", str(port),
        "--bootstrap", broker, env=_env(NEWSWIRE_INGEST_TOKEN=token),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(wait_timeout * 2):
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            async with http.post(f"http://127.0.0.1:{port}/v1/stories/s/entries", json={"body_text": "x"},
                                 headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 202
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(wait_timeout):
            _, err = await proc.communicate()
        assert proc.returncode == 0
        assert token not in err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
