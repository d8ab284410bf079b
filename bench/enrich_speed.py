"""Cost of normalise + full enrichment per entry (single process), on two sets of texts.

    python bench/enrich_speed.py [--rounds N] [--entries N] [--against GIT_REVISION]

1. The seed live blog: µs per entry for normalise, enrich and both, and the entries per
   second one worker could sustain on this alone.
2. The processor benchmark's texts (``bench/processors.py``: 300-1500 characters dense with
   people, places, organisations and quotes): µs per entry for enrich() as a whole and for
   each enricher, the name analysis the enrichers share counted once, on its own line;
   "enrich() itself" is what enrich() costs beyond its enrichers (copying the entry,
   validating a newsroom's fields). The name analysis is also timed with its per-phrase
   caches emptied before every text: the cost of a text whose names were never seen before.

3. With ``--against REV``: enrich() of this tree and of ``processors/enrich`` as it was at git
   revision REV (extracted to a temporary package), on the same bench texts in alternating
   rounds, and the speed-up.

Each round uses fresh text (a round number appended) so the per-text analysis cache does not
flatter the figures; the per-phrase caches stay warm, as they do in a running worker. Times
are this process's CPU time (``time.process_time``), so other work on a shared machine does
not inflate them, and each bench-text figure is the best round's mean.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newswire.processors.enrich import DEFAULT_ENRICHERS, enrich, names
from newswire.processors.enrich.text import entry_text
from newswire.processors.normalise import normalise
from newswire.producers.markdown import parse_markdown
from newswire.schemas import Entry, RawEntry

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # bench/processors.py: the worker benchmark's texts (raw_entries)
SEED = BENCH.parent / "tests" / "data" / "seed-liveblog.md"
PUBLISHED = datetime(2016, 3, 15, tzinfo=UTC)  # for bench texts without a time


def _entry(clean: RawEntry, seq: int) -> Entry:
    return Entry(id=clean.id or "x", story="syria", version=1, op="create", seq=seq, epoch="bench", ts=0,
                 published_at=clean.published_at or PUBLISHED, body_text=clean.body_text or "",
                 body_html=clean.body_html or "", embeds=clean.embeds)  # fmt: skip


def _tagged(raw: list[RawEntry], tag: str) -> list[RawEntry]:
    """Copies with ``tag`` appended to the text: new text for the per-text cache, the same names."""
    return [item.model_copy(update={"body_text": f"{item.body_text} {tag}"}) for item in raw]


def _rounds(raw: list[RawEntry], rounds: int) -> list[list[RawEntry]]:
    return [_tagged(raw, f"Round {n}.") for n in range(rounds)]


def seed_figures(rounds: int) -> None:
    raw = parse_markdown(SEED.read_text(encoding="utf-8"), "syria").entries
    batches = _rounds(raw, rounds)
    for item in raw:  # warm up imports and lazy models
        enrich(_entry(normalise(item), 1))
    normalise_time = enrich_time = 0.0
    count = 0
    for batch in batches:
        for item in batch:
            started = time.process_time()
            clean = normalise(item)
            middle = time.process_time()
            enrich(_entry(clean, 1))
            ended = time.process_time()
            normalise_time += middle - started
            enrich_time += ended - middle
            count += 1
    chars = sum(len(item.body_text or "") for item in raw) / len(raw)
    total = (normalise_time + enrich_time) / count * 1e6
    print(f"seed: {count} entries (mean {chars:.0f} characters of text)")
    print(f"  normalise:          {normalise_time / count * 1e6:8.1f} µs/entry")
    print(f"  enrich (all):       {enrich_time / count * 1e6:8.1f} µs/entry (includes building the Entry)")
    print(f"  normalise + enrich: {total:8.1f} µs/entry  = {1e6 / total:,.0f} entries/s on one core")


def _best(
    rounds: list[list[Entry]], run: Callable[[Entry], object], prepare: Callable[[Entry], object] | None = None
) -> float:
    """The best round's mean CPU µs per entry of ``run``; ``prepare`` runs untimed on each entry first."""
    best = float("inf")
    for entries in rounds:
        if prepare is not None:
            for entry in entries:
                prepare(entry)
        started = time.process_time()
        for entry in entries:
            run(entry)
        best = min(best, (time.process_time() - started) / len(entries) * 1e6)
    return best


def _cold_analysis(rounds: list[list[Entry]]) -> float:
    """Best round's mean CPU µs per entry of the name analysis with the per-phrase caches emptied first."""
    best = float("inf")
    for entries in rounds:
        spent = 0.0
        for entry in entries:
            names.forget_phrases()
            text = entry_text(entry)
            started = time.process_time()
            names.analyse(text)
            spent += time.process_time() - started
        best = min(best, spent / len(entries) * 1e6)
    return best


def bench_text_figures(rounds: int, count: int) -> None:
    from processors import raw_entries

    raw = [item for _, item, _ in raw_entries(count, seed=3)]
    for item in raw:  # warm up imports, lazy models and the per-phrase caches
        enrich(_entry(normalise(item), 1))

    def fresh() -> list[list[Entry]]:
        return [[_entry(normalise(item), 1) for item in batch] for batch in _rounds(raw, rounds)]

    whole = _best(fresh(), enrich)
    shared = _best(fresh(), lambda entry: names.named(entry_text(entry)))
    cold = _cold_analysis(fresh())
    parts: dict[str, float] = {}
    for enricher in DEFAULT_ENRICHERS:  # each finds the shared analysis done (cached), as inside enrich()
        parts[enricher.__name__] = _best(fresh(), enricher, prepare=lambda entry: names.named(entry_text(entry)))
    chars = sum(len(item.body_text or "") for item in raw) / len(raw)
    print(f"bench texts: {count} entries x {rounds} rounds (mean {chars:.0f} characters of text)")
    print(f"  enrich() whole:            {whole:8.1f} µs/entry  = {1e6 / whole:,.0f} entries/s on one core")
    print(f"  names.named (shared):      {shared:8.1f} µs/entry  ({cold:.1f} with the per-phrase caches empty)")
    for name, spent in parts.items():
        print(f"  {name + ' (own)':<27}{spent:8.1f} µs/entry")
    print(f"  enrich() itself:           {whole - shared - sum(parts.values()):8.1f} µs/entry")


def _enrich_at(revision: str, into: Path) -> Callable[[Entry], Entry]:
    """enrich() from ``processors/enrich`` at a git revision, imported as a separate package."""
    archive = subprocess.run(["git", "archive", revision, "processors/enrich"], cwd=BENCH.parent, check=True,
                             capture_output=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / "processors" / "enrich"
    name = f"enrich_at_{revision.replace('-', '_').replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.enrich  # type: ignore[no-any-return]


def compare_with(revision: str, rounds: int, count: int) -> None:
    """Time enrich() here and at ``revision`` in alternating rounds, and check that both give the same entries."""
    from processors import raw_entries

    raw = [item for _, item, _ in raw_entries(count, seed=3)]
    seed = parse_markdown(SEED.read_text(encoding="utf-8"), "syria").entries
    with tempfile.TemporaryDirectory() as folder:
        candidates = {"this tree": enrich, revision: _enrich_at(revision, Path(folder))}
        outputs = {label: [run(_entry(normalise(item), 1)) for item in raw + seed] for label, run in candidates.items()}
        same = sum(a == b for a, b in zip(outputs["this tree"], outputs[revision], strict=True))
        best = dict.fromkeys(candidates, float("inf"))
        for number in range(rounds):
            for label, run in candidates.items():  # fresh text for each round and each side
                tagged = _tagged(raw, f"Round {number} {label}.")
                best[label] = min(best[label], _best([[_entry(normalise(item), 1) for item in tagged]], run))
    now, then = best["this tree"], best[revision]
    print(f"enrich() on the bench texts, best of {rounds} alternating rounds:")
    print(f"  at {revision}: {then:8.1f} µs/entry")
    print(f"  this tree: {now:8.1f} µs/entry  = {then / now:.2f}x faster")
    print(f"  same enriched entry from both: {same} of {len(raw) + len(seed)} (bench texts and seed entries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="rounds over the seed entries")
    parser.add_argument("--bench-rounds", type=int, default=8, help="rounds over the bench texts")
    parser.add_argument(
        "--entries",
        type=int,
        default=500,
        help="bench texts per round (at most the 512 texts the analysis cache holds)",
    )
    parser.add_argument("--against", metavar="GIT_REVISION", help="also compare enrich() with this revision's")
    args = parser.parse_args()
    if args.entries > min(names.analyse.cache_info().maxsize or 0, names.named.cache_info().maxsize or 0):
        parser.error("--entries must fit in the per-text analysis cache, or every enricher analyses again")
    seed_figures(args.rounds)
    bench_text_figures(args.bench_rounds, args.entries)
    if args.against:
        compare_with(args.against, args.bench_rounds, args.entries)


if __name__ == "__main__":
    main()
