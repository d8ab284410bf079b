"""Quality of enrichment and near-duplicate detection on the labelled sets.

    python bench/quality.py

Enrichment: ``tests/data/enrich/labelled.jsonl`` (entries in several styles, topics and
languages with the people, places, organisations and quote speakers a reader would list).
A found name matches an expected one when, accents and punctuation aside, one contains the
other and the shorter has at least four letters ("Putin" matches "Vladimir Putin").
Near duplicates: ``tests/data/neardup/pairs.jsonl``, labelled pairs by category, decided as the processor
decides (:func:`newswire.processors.neardup.judge_pair`): precision and recall of the merges, per category.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from newswire.processors.difference import post_of
from newswire.processors.enrich import enrich
from newswire.processors.neardup import THRESHOLD, judge_pair
from newswire.schemas import Entry

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FIELDS = ("people", "places", "organisations", "speakers")


def _norm(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _matches(found: str, expected: str) -> bool:
    a, b = _norm(found), _norm(expected)
    shorter = min(a, b, key=len)
    return len(shorter) >= 4 and (a in b or b in a) or a == b


def _found(entry: Entry, field: str) -> list[str]:
    if field == "speakers":
        return list(dict.fromkeys(q.speaker for q in entry.quotes if q.speaker))
    return [item.name for item in getattr(entry, field)]


def enrichment_scores() -> tuple[dict[str, tuple[float, float, int, int]], float, list[str]]:
    counts = {field: [0, 0, 0, 0] for field in FIELDS}  # true positives found, found, expected hit, expected
    languages = 0
    misses: list[str] = []
    rows = [json.loads(line) for line in (DATA / "enrich" / "labelled.jsonl").read_text("utf-8").splitlines()]
    for number, row in enumerate(rows, start=1):
        entry = Entry(id=f"q{number}", story="quality", version=1, op="create", seq=number, epoch="q", ts=0,
                      published_at=datetime(2024, 1, 1, tzinfo=UTC), body_text=row["text"])  # fmt: skip
        enriched = enrich(entry)
        languages += enriched.language == row["language"]
        for field in FIELDS:
            found, expected = _found(enriched, field), row[field]
            right = [f for f in found if any(_matches(f, e) for e in expected)]
            hit = [e for e in expected if any(_matches(f, e) for f in found)]
            counts[field][0] += len(right)
            counts[field][1] += len(found)
            counts[field][2] += len(hit)
            counts[field][3] += len(expected)
            wrong = sorted(set(found) - set(right))
            missed = sorted(set(expected) - set(hit))
            if wrong or missed:
                misses.append(f"#{number} {field}: extra {wrong} missed {missed}")
    scores = {
        field: (tp / found if found else 1.0, hit / expected if expected else 1.0, found, expected)
        for field, (tp, found, hit, expected) in counts.items()
    }
    return scores, languages / len(rows), misses


def neardup_scores() -> tuple[float, float, int, dict[str, tuple[int, int, int]], list[str]]:
    """Precision and recall of the processor's near-duplicate decision on the labelled pairs, the pair count,
    per category (pairs, duplicates, decided right) and the pairs decided wrong."""
    pairs = [json.loads(line) for line in (DATA / "neardup" / "pairs.jsonl").read_text("utf-8").splitlines()]
    tp = fp = fn = 0
    categories: dict[str, list[int]] = {}
    wrong: list[str] = []
    for pair in pairs:
        verdict = judge_pair(post_of(pair["a"], embeds=pair.get("a_embeds", ())),
                             post_of(pair["b"], embeds=pair.get("b_embeds", ())))
        tp += verdict.same and pair["duplicate"]
        fp += verdict.same and not pair["duplicate"]
        fn += not verdict.same and pair["duplicate"]
        counts = categories.setdefault(pair["category"], [0, 0, 0])
        counts[0] += 1
        counts[1] += pair["duplicate"]
        counts[2] += verdict.same == pair["duplicate"]
        if verdict.same != pair["duplicate"]:
            label = "merged, but different" if verdict.same else "kept apart, but a duplicate"
            wrong.append(f"{pair['category']}: {label} ({pair['why']}): {verdict.reason}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, len(pairs), {name: (c[0], c[1], c[2]) for name, c in categories.items()}, wrong


def main() -> None:
    scores, language_accuracy, misses = enrichment_scores()
    print("enrichment on tests/data/enrich/labelled.jsonl")
    print(f"{'field':<14}{'precision':>10}{'recall':>8}{'found':>7}{'expected':>10}")
    for field, (precision, recall, found, expected) in scores.items():
        print(f"{field:<14}{precision:>10.2f}{recall:>8.2f}{found:>7}{expected:>10}")
    print(f"language accuracy: {language_accuracy:.2f}")
    precision, recall, count, categories, wrong = neardup_scores()
    print(f"\nnear duplicates on tests/data/neardup/pairs.jsonl: {count} pairs "
          f"(candidates at MinHash similarity >= {THRESHOLD}, then compared word by word)")
    print(f"precision {precision:.3f}, recall {recall:.3f}")
    print(f"{'category':<14}{'pairs':>6}{'dups':>6}{'right':>7}")
    for name, (pairs, duplicates, right) in categories.items():
        print(f"{name:<14}{pairs:>6}{duplicates:>6}{right:>7}")
    for line in wrong:
        print("  " + line)
    if misses:
        print("\ndifferences:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
