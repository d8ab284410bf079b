"""Change detection between two fetches."""

from __future__ import annotations

from newswire.producers.diff import Change, apply_change, diff_entries, fingerprint, with_ids
from newswire.schemas import RawEntry


def _snapshot(entries: list[RawEntry]) -> dict:  # type: ignore[type-arg]
    snap: dict = {}  # type: ignore[type-arg]
    for e in entries:
        apply_change(snap, Change("create", e))
    return snap


def test_new_edited_and_vanished_entries() -> None:
    """New ids are creates, changed content is an update, a missing id is a delete with the last content."""
    a, b, c = (RawEntry(id=i, body_text=f"text {i}") for i in "abc")
    old = _snapshot([a, b, c])
    b2 = b.model_copy(update={"body_text": "text b, corrected"})
    d = RawEntry(id="d", body_text="new")
    changes = diff_entries(old, [a, b2, d])
    assert [(ch.op, ch.entry.id) for ch in changes] == [("update", "b"), ("create", "d"), ("delete", "c")]
    assert changes[-1].entry.body_text == "text c"


def test_unchanged_page_gives_nothing() -> None:
    """The same entries again produce no change."""
    entries = [RawEntry(id="a", body_text="x"), RawEntry(id="b", body_text="y")]
    assert diff_entries(_snapshot(entries), entries) == []


def test_deletes_can_be_turned_off() -> None:
    """With deletes off, vanished entries are not published."""
    assert diff_entries(_snapshot([RawEntry(id="a", body_text="x")]), [], deletes=False) == []


def test_key_event_flag_change_is_an_update() -> None:
    """Pinning an entry changes its fingerprint."""
    a = RawEntry(id="a", body_text="x")
    assert fingerprint(a) != fingerprint(a.model_copy(update={"key_event": True}))


def test_entries_without_ids_get_stable_content_ids() -> None:
    """Entries without ids get the same content id on every fetch; a repeated id counts once."""
    first = with_ids("s", [RawEntry(body_text="hello  world")])
    again = with_ids("s", [RawEntry(body_text="hello world")])
    assert first[0].id == again[0].id
    assert len(diff_entries({}, first + again)) == 1
