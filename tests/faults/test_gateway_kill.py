"""SIGKILL the gateway with clients connected: clients resuming with ``since`` end with exactly the full sequence."""

from __future__ import annotations

from .conftest import Poster, StoryWatcher, Up, running, wait_until

COUNT = 40
CLIENTS = 3


async def test_clients_resuming_after_a_gateway_kill_see_every_seq_once(up: Up) -> None:
    """Entries posted before, during and after the kill reach every reconnecting client once, seq 1..COUNT."""
    story = "fault-gateway"
    watchers = [StoryWatcher(up.ws_url, story) for _ in range(CLIENTS)]
    poster = Poster(up.ingest_url)
    async with running(*(w.run() for w in watchers)):
        await wait_until("clients connected", lambda: all(w.connections for w in watchers))
        async with running(poster.post_many(story, range(COUNT))) as (posting,):
            await wait_until("entries at every client", lambda: all(len(w.entries) >= COUNT // 4 for w in watchers))
            await up.kill("gateway")
            await posting
        expected = {f"{story}-e{i}" for i in range(COUNT)}
        await wait_until("every entry at every client", lambda: all(w.ids >= expected for w in watchers))

    for watcher in watchers:
        assert watcher.connections >= 2  # the kill dropped it and it came back
        assert watcher.resyncs == []
        assert watcher.duplicates() == []
        assert sorted(seq for _, seq in watcher.seen_seq) == list(range(1, COUNT + 1))
        assert len(watcher.epochs) == 1
