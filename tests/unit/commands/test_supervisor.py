"""newswire.supervisor: a part's hooks around each (re)start."""

from __future__ import annotations

import sys
from pathlib import Path

from newswire.supervisor import Part


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
