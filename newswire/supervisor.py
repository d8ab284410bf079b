"""Supervision of child processes for ``newswire up``: start, probe readiness, restart with backoff, stop.

:class:`RestartPolicy` is pure (when to retry, when to give up); :class:`Part` owns one
child process and forwards its output with a ``[name]`` prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["RestartPolicy", "Part", "GaveUp", "die_with_parent"]

log = logging.getLogger("newswire.up")


def die_with_parent() -> None:
    """In a child before exec (``preexec_fn``): the kernel sends it SIGTERM when the process that started it
    dies, even by SIGKILL, so no broker or gateway worker outlives its parent (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class GaveUp(RuntimeError):
    """A part kept dying; the message says which and why."""


@dataclass
class RestartPolicy:
    """Exponential backoff between restarts; give up after ``max_failures`` deaths within ``window`` seconds."""

    initial_delay: float = 0.5
    max_delay: float = 15.0
    max_failures: int = 5
    window: float = 120.0
    failures: deque[float] = field(default_factory=deque)

    def record_failure(self, now: float) -> float | None:
        """Note a death at ``now``; return the delay before the next start, or None to give up."""
        self.failures.append(now)
        while self.failures and now - self.failures[0] > self.window:
            self.failures.popleft()
        if len(self.failures) >= self.max_failures:
            return None
        return float(min(self.initial_delay * 2 ** (len(self.failures) - 1), self.max_delay))


class Part:
    """One supervised child process.

    ``ready`` is an async probe returning True once the part accepts work; ``before_start`` runs
    before each (re)start (e.g. removing a stale ready file, so the probe waits for the new process);
    ``after_start`` runs after each (re)start became ready (e.g. re-creating topics on a fresh broker).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready: Callable[[], Awaitable[bool]],
        env: dict[str, str] | None = None,
        after_start: Callable[[], Awaitable[None]] | None = None,
        before_start: Callable[[], None] | None = None,
        policy: RestartPolicy | None = None,
        ready_timeout: float = 120.0,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.ready_probe = ready
        self.env = env
        self.after_start = after_start
        self.before_start = before_start
        self.policy = policy or RestartPolicy()
        self.ready_timeout = ready_timeout
        #: run in the child before exec (the broker: die with ``up`` even when ``up`` is SIGKILLed)
        self.preexec_fn = preexec_fn
        self.process: asyncio.subprocess.Process | None = None
        self.stopping = False
        self.tail: deque[str] = deque(maxlen=40)
        #: forward the child's output to our stdout; off until the ready line is printed, so that nothing a
        #: child says (a line with 'ready' in it) is mistaken for newswire's own ready line
        self.echo = False
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.before_start:
            self.before_start()
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
            preexec_fn=self.preexec_fn,
        )
        self._pump = asyncio.create_task(self._forward_output(self.process))
        log.info("%s started (pid %d)", self.name, self.process.pid)

    async def _forward_output(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            try:
                line = await process.stdout.readline()
            except ValueError:  # a line longer than the stream limit; skip what is buffered
                continue
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip()
            self.tail.append(text)
            if self.echo:
                sys.stdout.write(f"[{self.name}] {text}\n")
                sys.stdout.flush()

    async def wait_ready(self) -> None:
        """Poll the readiness probe until it answers True; raise if the process exits or time runs out."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.returncode is not None:
                raise GaveUp(f"{self.name} exited during start-up: {self.why()}\n{self.output()}")
            with contextlib.suppress(Exception):
                if await self.ready_probe():
                    if self.after_start:
                        await self.after_start()
                    return
            await asyncio.sleep(0.1)
        raise GaveUp(f"{self.name} did not start within {self.ready_timeout:.0f} s\n{self.output()}")

    def output(self) -> str:
        """The child's last lines of output, indented, for error messages."""
        return "\n".join(f"    [{self.name}] {line}" for line in self.tail)

    def why(self) -> str:
        code = self.process.returncode if self.process else None
        if code is not None and code < 0:
            reason = f"killed by {signal.Signals(-code).name}"
        else:
            reason = f"exit code {code}"
        last = next((line for line in reversed(self.tail) if line.strip()), "")
        return reason + (f"; last output: {last[-300:]}" if last else "")

    async def supervise(self) -> None:
        """Restart the part whenever it dies (unless stopping); raise GaveUp when it keeps dying."""
        while True:
            assert self.process is not None
            await self.process.wait()
            if self._pump:
                await self._pump
            if self.stopping:
                return
            delay = self.policy.record_failure(time.monotonic())
            if delay is None:
                raise GaveUp(f"{self.name} keeps dying ({self.policy.max_failures} times within "
                             f"{self.policy.window:.0f} s); last: {self.why()}")
            log.warning("%s died (%s); restarting in %.1f s", self.name, self.why(), delay)
            await asyncio.sleep(delay)
            if self.stopping:
                return
            await self.start()
            try:
                await self.wait_ready()
                log.info("%s is back", self.name)
            except GaveUp as exc:
                log.warning("%s", exc)

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        self.stopping = True
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            log.warning("%s did not stop within %.0f s; killing it", self.name, grace)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._pump:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, 2)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
