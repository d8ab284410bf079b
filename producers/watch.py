"""Watching a source: fetch (conditional) → parse → diff against the last snapshot → publish → save state.

The state file (JSON, replaced atomically) holds the validators of the last fetch and the
snapshot of what was published, so a restart publishes nothing twice. The validators are
saved only once every change of that fetch was published: a failed publish is retried on
the next poll instead of hiding behind a 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka.errors import KafkaError

from newswire.schemas import Op, RawEntry

from .detect import decode_text, parse_document
from .diff import Change, Snapshot, apply_change, diff_entries, with_ids
from .fetch import FetchError, Validators, fetch, is_url
from .kafka import PublishError
from .markdown import ParseError

__all__ = ["WatchState", "Watcher", "default_state_path", "load_state", "save_state"]

log = logging.getLogger("newswire.watch")

STATE_VERSION = 1
#: Called for every change to publish; raises on failure (``Publisher.publish`` fits).
PublishFn = Callable[[str, RawEntry, Op], Awaitable[Any]]


@dataclass
class WatchState:
    source: str
    story: str
    validators: Validators = field(default_factory=Validators)
    snapshot: Snapshot = field(default_factory=dict)


def load_state(path: Path, source: str, story: str) -> WatchState:
    """The saved state for (source, story), or an empty one (a state of another source is not reused)."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return WatchState(source, story)
    except (OSError, orjson.JSONDecodeError) as exc:
        log.warning("state file %s unreadable (%s); starting from an empty state", path, exc)
        return WatchState(source, story)
    if data.get("version") != STATE_VERSION or data.get("source") != source or data.get("story") != story:
        return WatchState(source, story)
    snapshot = {k: (v[0], v[1]) for k, v in data.get("entries", {}).items()}
    return WatchState(source, story, Validators(data.get("etag"), data.get("last_modified")), snapshot)


def save_state(path: Path, state: WatchState) -> None:
    """Write the state atomically (a crash leaves the old file or the new one, never half of one)."""
    doc = {"version": STATE_VERSION, "source": state.source, "story": state.story,
           "etag": state.validators.etag, "last_modified": state.validators.last_modified,
           "entries": {k: [fp, entry] for k, (fp, entry) in state.snapshot.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(doc))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Watcher:
    """Polls one source for one story and publishes its changes."""

    def __init__(self, source: str, story: str, publish: PublishFn, state_path: Path, *, deletes: bool = True,
                 timeout: float = 20.0, session: aiohttp.ClientSession | None = None,
                 tz: tzinfo | None = None) -> None:
        self.source = source
        self.story = story
        self.publish = publish
        self.state_path = state_path
        self.deletes = deletes
        self.timeout = timeout
        self.session = session
        #: the zone of times the source shows without one (``--tz``, set per watched source)
        self.tz = tz
        self.warned: set[str] = set()
        self.state = load_state(state_path, source, story)

    async def poll_once(self) -> list[Change]:
        """One fetch; returns the changes published. Raises FetchError, ParseError or PublishError."""
        fetched = await fetch(self.source, self.state.validators, session=self.session, timeout=self.timeout)
        if fetched.body is None:
            return []
        page = parse_document(decode_text(fetched.body, content_type=fetched.content_type), self.story,
                              hint=fetched.content_type or self.source, tz=self.tz)
        for warning in page.warnings:
            if warning not in self.warned:  # once per watch, not at every poll
                self.warned.add(warning)
                log.warning("%s: %s", self.source, warning)
        changes = diff_entries(self.state.snapshot, with_ids(self.story, page.entries), deletes=self.deletes)
        published: list[Change] = []
        try:
            for change in changes:
                await self.publish(self.story, change.entry, change.op)
                apply_change(self.state.snapshot, change)
                published.append(change)
        finally:
            if len(published) == len(changes):
                self.state.validators = fetched.validators
            save_state(self.state_path, self.state)
        return published

    async def run(self, interval: float, stop: asyncio.Event, *, max_backoff: float = 300.0) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set; on errors wait longer (doubling), never die."""
        delay = interval
        while not stop.is_set():
            try:
                changes = await self.poll_once()
                if changes:
                    counts = {op: sum(1 for c in changes if c.op == op) for op in ("create", "update", "delete")}
                    log.info("%s: published %s", self.source, ", ".join(f"{n} {op}" for op, n in counts.items() if n))
                delay = interval
            except (FetchError, ParseError, PublishError, KafkaError) as exc:
                delay = min(max(delay * 2, interval), max_backoff)
                log.warning("%s: %s; next try in %.0f s", self.source, exc, delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass


def default_state_path(source: str, story: str) -> Path:
    """Where the state of (source, story) lives by default: $XDG_STATE_HOME/newswire/watch-…json."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "newswire"
    key = source if is_url(source) else str(Path(source).resolve())
    digest = hashlib.blake2b(f"{key}\x1f{story}".encode(), digest_size=8).hexdigest()
    return base / f"watch-{digest}.json"
