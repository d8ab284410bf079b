"""SIGKILL the processor worker while entries flow: nothing missing, nothing shown twice.

Downstream services read newswire.entries without the gateway's dedup, as a ``read_committed`` reader;
the worker that takes over reads the topic back before it handles a record and recognises every record
replayed since the last committed offset, so the topic holds each ``(id, version)`` once."""

from __future__ import annotations

from collections import Counter

import orjson

from newswire.schemas import topics
from support import TIMEOUT, read_topic

from .conftest import Poster, StoryWatcher, Up, running, wait_until

COUNT = 60


async def test_killed_processor_loses_nothing_and_shows_nothing_twice(up: Up) -> None:
    """Entries posted before, during and after a processor SIGKILL mid-batch reach the client once, and a
    read_committed reader of newswire.entries sees each (id, version) exactly once."""
    story = "fault-processor"
    watcher = StoryWatcher(up.ws_url, story)
    poster = Poster(up.ingest_url)
    async with running(watcher.run()):
        await wait_until("the client connected", lambda: watcher.connections)
        async with running(poster.post_many(story, range(COUNT))) as (posting,):
            await wait_until("a third of the entries at the client", lambda: len(watcher.entries) >= COUNT // 3)
            await up.kill("processor")
            await posting
        expected = {f"{story}-e{i}" for i in range(COUNT)}
        await wait_until("every entry at the client", lambda: watcher.ids >= expected, TIMEOUT * 4)

    assert watcher.duplicates() == []
    assert len(watcher.epochs) == 1, watcher.epochs
    assert sorted(seq for _, seq in watcher.seen_seq) == list(range(1, COUNT + 1))
    records = [orjson.loads(value)
               for key, value in await read_topic(up.bootstrap, topics.ENTRIES, isolation_level="read_committed")
               if key == story.encode()]
    assert Counter((r["id"], r["version"]) for r in records) == Counter({(i, 1): 1 for i in expected})
    assert sorted(r["seq"] for r in records) == list(range(1, COUNT + 1))
