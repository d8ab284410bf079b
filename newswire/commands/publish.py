"""``newswire publish FILE... [--story ID] [--bootstrap HOST:PORT]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from aiokafka.errors import KafkaConnectionError, KafkaError

from newswire.commands import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    add_bootstrap_argument,
    add_tz_argument,
)
from newswire.kafka import KafkaSettings
from newswire.producers.detect import MAX_DOCUMENT_BYTES, decode_text, parse_document
from newswire.producers.kafka import Publisher, PublishError
from newswire.producers.markdown import ParseError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("publish", help="publish a live-blog page, feed or NDJSON file to Kafka",
                       description="Publish every entry of each FILE to newswire.entries.raw, oldest first. "
                                   "Entries keep stable ids, so publishing again adds nothing and an edited "
                                   "entry becomes an update.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="live-blog page (Markdown or HTML), RSS/Atom feed, or NDJSON")
    p.add_argument("--story", help="story id (default: the file name without extension)")
    add_tz_argument(p)
    add_bootstrap_argument(p)
    p.set_defaults(func=run)


def story_from_path(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-._" else "-" for c in path.stem).strip("-.") or "story"
    return stem[:200]


def run(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or KafkaSettings.from_env().bootstrap
    batches = []
    for name in args.files:
        path = Path(name)
        story = args.story or story_from_path(path)
        try:
            if path.stat().st_size > MAX_DOCUMENT_BYTES:
                print(f"newswire publish: {name}: larger than {MAX_DOCUMENT_BYTES // 2**20} MiB", file=sys.stderr)
                return EXIT_USAGE
            page = parse_document(decode_text(path.read_bytes()), story, hint=path.name, tz=args.tz)
        except OSError as exc:
            print(f"newswire publish: {name}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        except ParseError as exc:
            print(f"newswire publish: {name}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        for warning in page.warnings:
            print(f"newswire publish: {name}: warning: {warning}", file=sys.stderr)
        batches.append((name, story, page.entries))
    try:
        return asyncio.run(_publish(bootstrap, batches))
    except (KafkaConnectionError, PublishError) as exc:
        print(f"newswire publish: Kafka at {bootstrap} is not reachable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KafkaError as exc:
        print(f"newswire publish: {exc!r}", file=sys.stderr)
        return EXIT_FAILURE


#: Show a progress bar (on a terminal) from this many entries on.
PROGRESS_FROM = 200


async def _publish(bootstrap: str, batches: list) -> int:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.progress import Progress

    total = sum(len(entries) for _, _, entries in batches)
    show = total >= PROGRESS_FROM and sys.stderr.isatty()
    async with Publisher(bootstrap, source="newswire-publish") as publisher:
        with Progress(console=Console(stderr=True), transient=True, disable=not show) as bar:
            task = bar.add_task("publishing", total=total)
            for name, story, entries in batches:
                await publisher.publish_many(story, entries, progress=lambda n: bar.advance(task, n))
                done = f"{name}: published {len(entries)} entries to story {story}"
                if show:
                    bar.console.print(done, highlight=False)
                else:
                    print(done, file=sys.stderr)
    return EXIT_OK
