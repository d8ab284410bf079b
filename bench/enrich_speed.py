"""Cost of normalise + full enrichment per entry on the seed live blog (single process).

    python bench/enrich_speed.py [--rounds N]

Prints µs per entry for normalise, enrich and both, and the entries per second one worker
could sustain on this alone. Each round uses fresh text (a round number appended) so the
per-text analysis cache does not flatter the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from newswire.processors.enrich import enrich
from newswire.processors.normalise import normalise
from newswire.producers.markdown import parse_markdown
from newswire.schemas import Entry, RawEntry

SEED = Path(__file__).resolve().parents[1] / "tests" / "data" / "seed-liveblog.md"


def _entry(clean: RawEntry, seq: int) -> Entry:
    return Entry(id=clean.id or "x", story="syria", version=1, op="create", seq=seq, epoch="bench", ts=0,
                 published_at=clean.published_at, body_text=clean.body_text or "", body_html=clean.body_html or "",
                 embeds=clean.embeds)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    raw = parse_markdown(SEED.read_text(encoding="utf-8"), "syria").entries
    batches = [
        [item.model_copy(update={"body_text": f"{item.body_text} Round {n}."}) for item in raw] for n in range(rounds)
    ]
    for item in raw:  # warm up imports and lazy models
        enrich(_entry(normalise(item), 1))
    normalise_time = enrich_time = 0.0
    count = 0
    for batch in batches:
        for item in batch:
            started = time.perf_counter()
            clean = normalise(item)
            middle = time.perf_counter()
            enrich(_entry(clean, 1))
            ended = time.perf_counter()
            normalise_time += middle - started
            enrich_time += ended - middle
            count += 1
    chars = sum(len(item.body_text or "") for item in raw) / len(raw)
    total = (normalise_time + enrich_time) / count * 1e6
    print(f"entries: {count} (seed, mean {chars:.0f} characters of text)")
    print(f"normalise:          {normalise_time / count * 1e6:8.1f} µs/entry")
    print(f"enrich (all):       {enrich_time / count * 1e6:8.1f} µs/entry (includes building the Entry)")
    print(f"normalise + enrich: {total:8.1f} µs/entry  = {1e6 / total:,.0f} entries/s on one core")


if __name__ == "__main__":
    main()
