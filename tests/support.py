"""Shared by the tests: the one scaled time unit and a runner for the real command line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

#: The one time unit of the tests, in seconds (``NEWSWIRE_TEST_TIMEOUT``); raise it on a slow machine.
TIMEOUT = float(os.environ.get("NEWSWIRE_TEST_TIMEOUT", "15"))


async def run_command(*argv: str, timeout: float = TIMEOUT,
                      env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run a program in a child process (killed after ``timeout``), with ``env`` added to this process's
    environment; return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, **env} if env else None)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def newswire(*args: str, timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``newswire ARGS`` (this checkout's CLI) in a child process."""
    return await run_command(sys.executable, "-m", "newswire.cli", *args, timeout=timeout, env=env)


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 15) -> None:
    """SIGTERM a child we started, then SIGKILL it if it has not exited after ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
