"""``newswire watch SOURCE [--interval S] [--story ID] [--bootstrap HOST:PORT] [--state FILE] [--no-deletes]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from urllib.parse import urlparse

import aiohttp
from aiokafka.errors import KafkaError

from newswire.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    add_bootstrap_argument,
    add_tz_argument,
)
from newswire.commands.publish import story_from_path
from newswire.kafka import KafkaSettings
from newswire.producers.fetch import FetchError, is_url
from newswire.producers.kafka import Publisher, PublishError
from newswire.producers.markdown import ParseError
from newswire.producers.watch import Watcher, default_state_path
from newswire.schemas import Op, RawEntry


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("watch", help="poll a page, feed or file and publish only what changed",
                       description="Fetch SOURCE (a local path or an http/https URL) every S seconds with conditional "
                                   "requests, and publish new entries (create), edited ones (update) and removed "
                                   "ones (delete). State is kept in a small file, so a restart publishes nothing "
                                   "twice. Errors are logged and retried with backoff.")
    p.add_argument("source", metavar="SOURCE", help="live-blog page, RSS/Atom feed or NDJSON file: path or URL")
    p.add_argument("--interval", type=float, default=30.0, metavar="S", help="seconds between polls (default 30)")
    p.add_argument("--story", help="story id (default: the file or URL path name)")
    add_tz_argument(p)
    add_bootstrap_argument(p)
    p.add_argument("--state", type=Path, help="state file (default under $XDG_STATE_HOME/newswire/)")
    p.add_argument("--no-deletes", dest="deletes", action="store_false",
                   help="do not publish op=delete for entries that vanished from the source")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds a fetch may take (default 20)")
    p.add_argument("--once", action="store_true", help="poll once and exit (exit 1 when that poll failed)")
    p.set_defaults(func=run)


def story_for(source: str) -> str:
    if is_url(source):
        name = Path(urlparse(source).path).name or urlparse(source).hostname or "story"
        return story_from_path(Path(name))
    return story_from_path(Path(source))


def run(args: argparse.Namespace) -> int:
    if args.interval <= 0 or args.timeout <= 0:
        print("newswire watch: --interval and --timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    story = args.story or story_for(args.source)
    state = args.state or default_state_path(args.source, story)
    bootstrap = args.bootstrap or KafkaSettings.from_env().bootstrap
    try:
        return asyncio.run(_watch(args, story, state, bootstrap))
    except KafkaError as exc:
        print(f"newswire watch: Kafka at {bootstrap} is not reachable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


async def _watch(args: argparse.Namespace, story: str, state: Path, bootstrap: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with aiohttp.ClientSession() as session, Publisher(bootstrap, source=f"watch:{args.source}"[:500]) as pub:

        async def publish(story_id: str, entry: RawEntry, op: Op) -> None:
            await pub.publish(story_id, entry, op=op)

        watcher = Watcher(args.source, story, publish, state, deletes=args.deletes, timeout=args.timeout,
                          session=session, tz=args.tz)
        print(f"newswire watch: {args.source} → story {story} every {args.interval:g} s (state {state})",
              file=sys.stderr, flush=True)
        if args.once:
            try:
                changes = await watcher.poll_once()
            except (FetchError, ParseError, PublishError) as exc:
                print(f"newswire watch: {exc}", file=sys.stderr)
                return EXIT_FAILURE
            print(f"newswire watch: published {len(changes)} changes", file=sys.stderr)
            return EXIT_OK
        await watcher.run(args.interval, stop)
    return EXIT_OK
