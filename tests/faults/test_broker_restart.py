"""Restart the embedded broker (memory storage: every topic comes back empty) while the pipeline runs."""

from __future__ import annotations

import aiohttp
import orjson

from newswire.schemas import topics
from support import TIMEOUT

from .conftest import Poster, Up, entry_body, read_topic, wait_until


async def _story_entries(bootstrap: str, story: str) -> list[dict]:
    return [orjson.loads(value) for key, value in await read_topic(bootstrap, topics.ENTRIES, idle_ms=300)
            if key == story.encode()]


async def test_after_a_broker_restart_the_processor_starts_a_new_epoch_on_the_recreated_topics(up: Up) -> None:
    """Entries posted after the restart reach the recreated newswire.entries once each, seq 1.. in a new epoch."""
    story = "fault-broker-processor"
    poster = Poster(up.ingest_url)
    async with aiohttp.ClientSession() as session:
        for i in range(3):
            await poster.post(session, story, entry_body(i, story))
        before = await wait_until("entries before the restart",
                                  lambda: _has_ids(up.bootstrap, story, range(3)), TIMEOUT * 2)
        await up.kill("broker")
        for i in range(3, 6):
            await poster.post(session, story, entry_body(i, story), timeout=TIMEOUT * 6)
        after = await wait_until("entries after the restart",
                                 lambda: _has_ids(up.bootstrap, story, range(3, 6)), TIMEOUT * 6)

    assert sorted(e["id"] for e in after) == [f"{story}-e{i}" for i in range(3, 6)]
    assert sorted(e["seq"] for e in after) == [1, 2, 3]
    assert len({e["epoch"] for e in after}) == 1
    assert after[0]["epoch"] != before[0]["epoch"]


async def _has_ids(bootstrap: str, story: str, indices: range) -> list[dict] | None:
    """The story's records on newswire.entries once they hold exactly the entries ``indices``, else None."""
    records = await _story_entries(bootstrap, story)
    return records if {e["id"] for e in records} == {f"{story}-e{i}" for i in indices} else None
