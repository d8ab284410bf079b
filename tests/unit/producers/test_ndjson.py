"""NDJSON files of raw entries."""

from __future__ import annotations

from pathlib import Path

from newswire.producers.ndjson import parse_ndjson

DATA = Path(__file__).parents[2] / "data" / "producers"


def test_lines_become_entries_oldest_first() -> None:
    """Every line is a raw entry; dated entries come oldest first; blank lines are skipped."""
    page = parse_ndjson((DATA / "entries.ndjson").read_text())
    assert page.errors == []
    assert [e.id for e in page.entries] == ["e1", "e2", None]
    assert page.entries[0].key_event and page.entries[0].body_html


def test_bad_lines_are_reported_with_their_numbers() -> None:
    """Malformed JSON, unknown fields and empty entries are reported by line, never turned into entries."""
    text = "\n".join([
        '{"body_text": "good"}',
        '{"body_text": "cut',
        '{"body_text": "x", "colour": "red"}',
        '{"body_text": "  "}',
        '[1, 2]',
    ])
    page = parse_ndjson(text)
    assert [e.body_text for e in page.entries] == ["good"]
    assert [err.line for err in page.errors] == [2, 3, 4, 5]
    assert "colour" in page.errors[1].message
