"""Parse speed of the producer formats: `python bench/producers_parse.py` prints ms per document."""

from __future__ import annotations

import time
from pathlib import Path

from newswire.producers.detect import parse_document

DATA = Path(__file__).parents[1] / "tests" / "data"
FILES = ["seed-liveblog.md", "producers/seed-liveblog.html", "producers/guardian-style-liveblog.html",
         "producers/feed.rss", "producers/feed.atom", "producers/entries.ndjson"]


def main(rounds: int = 200) -> None:
    for name in FILES:
        text = (DATA / name).read_text()
        start = time.perf_counter()
        for _ in range(rounds):
            entries = parse_document(text, "bench").entries
        ms = (time.perf_counter() - start) / rounds * 1000
        print(f"{name:45s} {len(text):7d} bytes {len(entries):3d} entries {ms:7.2f} ms/parse")


if __name__ == "__main__":
    main()
