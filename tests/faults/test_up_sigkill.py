"""SIGKILL the whole process group of ``newswire up`` (a host crash, an OOM kill), then start it again.

The data folder is Apache Kafka's, so the story survives: a client opening it from the start gets every
entry again, in the same epoch, and the next entry takes the next seq.
"""

from __future__ import annotations

import asyncio

import aiohttp

from support import TIMEOUT

from .conftest import Poster, StoryWatcher, Up, entry_body, running, wait_until

BEFORE, AFTER = 20, 5


async def test_after_a_sigkill_of_the_whole_group_every_entry_replays_and_the_story_goes_on(up: Up) -> None:
    """20 entries, SIGKILL of up and every child, a new `newswire up` on the same folder: a client with
    since=0 gets the 20 again (same ids, seq 1..20, same epoch); 5 more entries get seq 21..25."""
    story = "fault-up-sigkill"
    poster = Poster(up.ingest_url)
    first = StoryWatcher(up.ws_url, story)
    async with running(first.run()):
        await wait_until("the client connected", lambda: first.connections)
        await poster.post_many(story, range(BEFORE))
        await wait_until("the entries at the client", lambda: len(first.entries) == BEFORE, TIMEOUT * 2)
    epoch = first.epochs[-1]

    await asyncio.to_thread(up.restart_after_sigkill)

    again = StoryWatcher(up.ws_url, story)  # since=0: the whole story from the gateway's history
    async with running(again.run()):
        await wait_until("the story replayed", lambda: len(again.entries) >= BEFORE, TIMEOUT * 4)
        async with aiohttp.ClientSession() as session:
            for i in range(BEFORE, BEFORE + AFTER):
                await poster.post(session, story, entry_body(i, story), timeout=TIMEOUT * 4)
        await wait_until("the new entries", lambda: len(again.entries) >= BEFORE + AFTER, TIMEOUT * 4)

    replayed, new = again.entries[:BEFORE], again.entries[BEFORE:]
    assert [(m["entry"]["id"], m["seq"]) for m in replayed] == [(m["entry"]["id"], m["seq"]) for m in first.entries]
    assert {m["epoch"] for m in again.entries} == {epoch}
    assert [m["seq"] for m in new] == list(range(BEFORE + 1, BEFORE + AFTER + 1))
    assert [m["entry"]["id"] for m in new] == [f"{story}-e{i}" for i in range(BEFORE, BEFORE + AFTER)]
    assert again.duplicates() == [] and again.resyncs == []
