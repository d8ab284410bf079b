"""newswire.supervisor: restart policy, giving up, stopping, and a part's hooks around each (re)start."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from newswire.supervisor import GaveUp, Part, RestartPolicy


async def test_before_start_runs_before_every_start_so_a_stale_ready_file_is_gone(tmp_path: Path) -> None:
    """A ready file left by the previous process is removed before the next one starts."""
    ready_file = tmp_path / "ready"
    ready_file.write_text("ready\n")

    async def ready() -> bool:
        return ready_file.exists()

    part = Part("child", [sys.executable, "-c", "pass"], ready=ready,
                before_start=lambda: ready_file.unlink(missing_ok=True))
    await part.start()
    assert not ready_file.exists()
    assert part.process is not None
    await part.process.wait()
    ready_file.write_text("ready\n")
    await part.start()
    assert not ready_file.exists()
    assert part.process is not None
    await part.process.wait()
    await part.stop()


def test_restart_delays_double_up_to_the_cap_and_then_give_up():
    """0.5, 1, 2, 4 s between restarts; the fifth death within the window means giving up."""
    policy = RestartPolicy(initial_delay=0.5, max_delay=3.0, max_failures=5, window=120.0)
    delays = [policy.record_failure(now) for now in (0.0, 1.0, 2.0, 3.0)]
    assert delays == [0.5, 1.0, 2.0, 3.0]
    assert policy.record_failure(4.0) is None


def test_deaths_outside_the_window_are_forgotten():
    """A part that dies once an hour is restarted forever, each time after the first delay."""
    policy = RestartPolicy(initial_delay=0.5, max_failures=3, window=60.0)
    assert [policy.record_failure(hour * 3600.0) for hour in range(6)] == [0.5] * 6


async def test_a_part_that_keeps_dying_is_given_up_with_its_exit_code_and_last_output() -> None:
    """supervise() restarts a dying child, then raises GaveUp naming the part, the exit code and its last words."""
    async def ready() -> bool:
        return True

    part = Part("flaky", [sys.executable, "-c", "import sys; print('cannot bind port'); sys.exit(3)"], ready=ready,
                policy=RestartPolicy(initial_delay=0.01, max_failures=3, window=60.0))
    await part.start()
    with pytest.raises(GaveUp) as caught:
        await part.supervise()
    message = str(caught.value)
    assert "flaky keeps dying" in message and "exit code 3" in message and "cannot bind port" in message
    assert len(part.policy.failures) == 3


async def test_stop_terminates_a_running_part_and_it_is_not_restarted() -> None:
    """stop() sends SIGTERM; supervise() then returns instead of restarting."""
    async def ready() -> bool:
        return True

    part = Part("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], ready=ready)
    await part.start()
    supervising = asyncio.create_task(part.supervise())
    await part.stop(grace=5)
    await asyncio.wait_for(supervising, 10)
    assert part.process is not None and part.process.returncode is not None
    assert not part.policy.failures
