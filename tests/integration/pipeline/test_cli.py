"""The terminal client and the broker command against the running pipeline."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import orjson

from support import TIMEOUT

SEED = Path(__file__).parents[2] / "data" / "seed-liveblog.md"


async def test_tail_prints_each_published_entry_as_a_json_line(pipeline) -> None:
    """`newswire tail story:X --json --since 0` prints the story's entries in seq order."""
    story = f"tail-{uuid.uuid4().hex[:8]}"
    tail = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "tail", f"story:{story}", "--url", pipeline.ws_url, "--json",
        "--since", "0", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert tail.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            first = orjson.loads(await tail.stdout.readline())
        assert first["type"] == "subscribed"
        pub = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "newswire.cli", "publish", str(SEED), "--story", story,
            "--bootstrap", pipeline.bootstrap)
        assert await asyncio.wait_for(pub.wait(), TIMEOUT * 4) == 0
        seqs = []
        async with asyncio.timeout(TIMEOUT * 2):
            while len(seqs) < 9:
                msg = orjson.loads(await tail.stdout.readline())
                if msg["type"] == "entry":
                    seqs.append(msg["seq"])
        assert seqs == list(range(1, 10))
    finally:
        tail.terminate()
        await tail.wait()


async def test_tail_exits_69_when_the_gateway_is_unreachable() -> None:
    """No gateway: a clear message and the 'unavailable' exit code."""
    from newswire.ports import free_port

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "newswire.cli", "tail", "story:x", "--url", f"ws://127.0.0.1:{free_port()}/ws",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 69 and b"cannot reach" in err
