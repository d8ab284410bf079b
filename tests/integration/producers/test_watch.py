"""``Watcher`` against a local HTTP server whose page changes between fetches, publishing to the broker."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from newswire.producers.fetch import FetchError
from newswire.producers.kafka import Publisher
from newswire.producers.watch import Watcher
from newswire.schemas import Op, RawEntry

PAGE = """<html><body><nav>Home 09:00 GMT</nav><main><p>14 March 2016</p><div class="live">
{entries}
</div></main></body></html>"""


def _page(entries: list[tuple[str, str]]) -> str:
    return PAGE.format(entries="\n".join(f"<h3>{t} GMT</h3><p>{text}</p>" for t, text in entries))


class ChangingSite:
    """Serves one page; answers 304 to a matching If-None-Match; can hang or fail on demand."""

    def __init__(self) -> None:
        self.body = ""
        self.requests: list[dict[str, str]] = []
        self.hang = False
        self.status = 200
        self.requested = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        self.requested.set()
        if self.hang:
            await asyncio.Event().wait()
        if self.status != 200:
            return web.Response(status=self.status)
        etag = '"' + hashlib.sha1(self.body.encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=self.body, content_type="text/html", headers={"ETag": etag})


@pytest.fixture
async def site() -> AsyncIterator[tuple[ChangingSite, str]]:
    s = ChangingSite()
    app = web.Application()
    app.router.add_get("/live.html", s.handle)
    server = TestServer(app)
    await server.start_server()
    yield s, str(server.make_url("/live.html"))
    await server.close()


@pytest.fixture
async def publisher(broker: str) -> AsyncIterator[Publisher]:
    async with Publisher(broker, source="watch-test") as p:
        yield p


def _publish_fn(publisher: Publisher) -> Any:
    async def publish(story: str, entry: RawEntry, op: Op) -> None:
        await publisher.publish(story, entry, op=op)
    return publish


async def test_watch_publishes_creates_updates_deletes_once(site: tuple[ChangingSite, str], publisher: Publisher,
                                                            raw_reader: Any, tmp_path: Path) -> None:
    """First fetch: creates; page edited: update, create, delete; unchanged (304): nothing; restart: nothing."""
    server, url = site
    state = tmp_path / "watch.json"
    server.body = _page([("18:40", "Bases stay."), ("18:17", "Withdrawal ordered."), ("18:15", "Sorties flown.")])
    async with aiohttp.ClientSession() as session:
        watcher = Watcher(url, "syria", _publish_fn(publisher), state, session=session)
        first = await watcher.poll_once()
        assert [c.op for c in first] == ["create"] * 3
        records = await raw_reader.read(3)
        assert [r[0].entry.body_text for r in records] == ["Sorties flown.", "Withdrawal ordered.", "Bases stay."]
        ids = {r[0].entry.body_text: r[0].entry.id for r in records}

        server.body = _page([("19:16", "Opposition welcomes it."), ("18:40", "Bases stay, Putin says."),
                             ("18:17", "Withdrawal ordered.")])
        second = await watcher.poll_once()
        records = await raw_reader.read(3)
        got = [(r[0].op, r[0].entry.id, r[0].entry.body_text) for r in records]
        assert got == [("update", ids["Bases stay."], "Bases stay, Putin says."),
                       ("create", records[1][0].entry.id, "Opposition welcomes it."),
                       ("delete", ids["Sorties flown."], "Sorties flown.")]
        assert len(second) == 3

        assert await watcher.poll_once() == []
        assert server.requests[-1].get("If-None-Match")

        restarted = Watcher(url, "syria", _publish_fn(publisher), state, session=session)
        server.requests.clear()
        assert await restarted.poll_once() == []
        assert server.requests[0].get("If-None-Match")
        assert await raw_reader.nothing_more()


async def test_deletes_can_be_switched_off(site: tuple[ChangingSite, str], publisher: Publisher,
                                           raw_reader: Any, tmp_path: Path) -> None:
    """With deletes off, an entry that vanished publishes nothing."""
    server, url = site
    server.body = _page([("18:40", "A."), ("18:17", "B.")])
    async with aiohttp.ClientSession() as session:
        watcher = Watcher(url, "s2", _publish_fn(publisher), tmp_path / "s.json", session=session, deletes=False)
        await watcher.poll_once()
        await raw_reader.read(2)
        server.body = _page([("18:40", "A.")])
        assert await watcher.poll_once() == []
    assert await raw_reader.nothing_more()


async def test_failed_publish_is_retried_on_the_next_poll(site: tuple[ChangingSite, str], tmp_path: Path) -> None:
    """When publishing fails, the validators are not saved: the next poll refetches and publishes what is left."""
    server, url = site
    server.body = _page([("18:40", "A."), ("18:17", "B.")])
    published: list[str] = []
    fail = {"on": True}

    async def flaky(story: str, entry: RawEntry, op: Op) -> None:
        if fail["on"] and entry.body_text == "A.":
            raise ConnectionError("Kafka down")
        published.append(entry.body_text or "")

    async with aiohttp.ClientSession() as session:
        watcher = Watcher(url, "s3", flaky, tmp_path / "s.json", session=session)
        with pytest.raises(ConnectionError):
            await watcher.poll_once()
        fail["on"] = False
        restarted = Watcher(url, "s3", flaky, tmp_path / "s.json", session=session)
        await restarted.poll_once()
    assert published == ["B.", "A."]


async def test_hanging_url_times_out_and_errors_back_off(site: tuple[ChangingSite, str], tmp_path: Path) -> None:
    """A URL that hangs raises FetchError after the timeout; run() keeps going instead of dying."""
    server, url = site
    server.hang = True
    async with aiohttp.ClientSession() as session:
        watcher = Watcher(url, "s4", _noop, tmp_path / "s.json", session=session, timeout=0.3)
        with pytest.raises(FetchError, match="did not answer"):
            await watcher.poll_once()
        server.hang = False
        server.status = 500
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(0.05, stop))
        async with asyncio.timeout(10):
            while len(server.requests) < 4:
                server.requested.clear()
                await server.requested.wait()
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 10)


async def _noop(story: str, entry: RawEntry, op: Op) -> None:
    return None


async def test_local_file_source_is_watched_by_mtime(tmp_path: Path) -> None:
    """A local file is reread only when it changed; an edit becomes an update."""
    page = tmp_path / "blog.md"
    page.write_text("**Headline**\n\n14/03/2016\n\n**19:16 GMT**\n\nFirst text.\n")
    seen: list[tuple[str, str]] = []

    async def record(story: str, entry: RawEntry, op: Op) -> None:
        seen.append((op, entry.body_text or ""))

    watcher = Watcher(str(page), "blog", record, tmp_path / "s.json")
    await watcher.poll_once()
    assert await watcher.poll_once() == []
    page.write_text("**Headline**\n\n14/03/2016\n\n**19:16 GMT**\n\nFirst text, corrected.\n")
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 1_000_000_000))
    await watcher.poll_once()
    assert seen == [("create", "First text."), ("update", "First text, corrected.")]


REAL_PAGE = Path(__file__).parents[2] / "data" / "real" / "pages" / "corkbeo.ie.html"
NEW_UPDATE = ('{"@type":"BlogPosting","headline":"Cabinet to meet again","url":'
              '"https://www.corkbeo.ie/news/local-news/level-3-live-cork-ireland-19056312#2259300",'
              '"datePublished":"2020-10-06T21:40:00.000+01:00","articleBody":"The cabinet will meet again tomorrow '
              'morning to sign off the Level 3 measures.","author":[{"@type":"Person","name":"Gavin O\'Callaghan"}]},')


async def test_a_real_page_refetched_with_one_edit_and_one_new_update_gives_one_update_and_one_create(
        site: tuple[ChangingSite, str], tmp_path: Path) -> None:
    """Cork Beo's live page (26 updates) served as it was, then with one update's text edited and a new update on
    top of its LiveBlogPosting: the second poll publishes exactly one update and one create."""
    server, url = site
    page = REAL_PAGE.read_text(encoding="utf-8")
    server.body = page
    seen: list[tuple[str, str | None, str]] = []

    async def record(story: str, entry: RawEntry, op: Op) -> None:
        seen.append((op, entry.id, entry.body_text or entry.body_html or ""))

    async with aiohttp.ClientSession() as session:
        watcher = Watcher(url, "cork", record, tmp_path / "state.json", session=session)
        first = await watcher.poll_once()
        assert len(first) == 26 and {c.op for c in first} == {"create"}
        seen.clear()
        server.body = (page.replace("Last night Tanaiste Leo Varadkar revealed",
                                    "Late last night Tanaiste Leo Varadkar revealed")
                       .replace('"liveBlogUpdate": [', '"liveBlogUpdate": [' + NEW_UPDATE, 1))
        await watcher.poll_once()
        assert sorted((op, entry_id) for op, entry_id, _ in seen) == [("create", "u-2259300"),
                                                                       ("update", "u-2258190")]
        assert [text[:40] for op, _, text in seen if op == "update"] == ["Late last night Tanaiste Leo Varadkar re"]
        assert await watcher.poll_once() == []
