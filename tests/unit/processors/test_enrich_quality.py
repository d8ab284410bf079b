"""Enrichment and near-duplicate quality on the labelled sets stays above agreed floors."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

QUALITY = Path(__file__).parents[3] / "bench" / "quality.py"


def _quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quality", QUALITY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labelled_enrichment_precision_and_recall() -> None:
    """People, places, organisations and speakers keep precision >= 0.85 and recall >= 0.8."""
    scores, language_accuracy, _ = _quality().enrichment_scores()
    for field, (precision, recall, _, _) in scores.items():
        assert precision >= 0.85, field
        assert recall >= 0.8, field
    assert language_accuracy >= 0.9


def test_labelled_near_duplicates() -> None:
    """On at least 80 labelled pairs, merges are right >= 98 % of the time and >= 90 % of duplicates are found."""
    precision, recall, count, _, wrong = _quality().neardup_scores()
    assert count >= 80
    assert precision >= 0.98, wrong
    assert recall >= 0.9, wrong
