"""The processing pipeline on dict state: validation, versions, sequence, DLQ records."""

import base64
from datetime import UTC, datetime

import orjson
import pytest

from newswire.processors.pipeline import Processor
from newswire.producers.kafka import make_raw_event
from newswire.schemas import DeadLetterSource, Entry, RawEntry, encode

SOURCE = DeadLetterSource(topic="newswire.entries.raw", partition=0, offset=7)


def raw(story: str, entry_id: str, text: str, op: str = "create") -> bytes:
    entry = RawEntry(id=entry_id, body_text=text, published_at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    return encode(make_raw_event(story, entry, op=op, source="test", now_ms=1_000))  # type: ignore[arg-type]


@pytest.fixture
def processor() -> Processor:
    epochs = iter(f"e{i}" for i in range(100))
    return Processor(epoch_factory=lambda: next(epochs))


def test_entries_get_seq_1_to_n_per_story(processor):
    """Each story counts its own seq from 1."""
    seqs = [processor.process(b"s1", raw("s1", f"id{i}", f"text {i}"), SOURCE).entry.seq for i in range(3)]
    other = processor.process(b"s2", raw("s2", "id0", "other"), SOURCE).entry
    assert seqs == [1, 2, 3]
    assert (other.seq, other.epoch) == (1, "e1")


def test_replay_is_dropped_and_edit_becomes_update(processor):
    """Same id and content: dropped; same id, new content: update version 2."""
    first = processor.process(b"s", raw("s", "a", "Hello #World"), SOURCE)
    again = processor.process(b"s", raw("s", "a", "Hello #World"), SOURCE)
    edited = processor.process(b"s", raw("s", "a", "Hello again #World"), SOURCE)
    assert first.entry.op == "create" and first.entry.hashtags == ["World"]
    assert again.entry is None and again.dropped == "replay"
    assert (edited.entry.op, edited.entry.version, edited.entry.seq) == ("update", 2, 2)


def test_state_is_recorded_only_by_apply(processor):
    """handle() decides without touching state, so an entry that never reached Kafka is not remembered."""
    outcome = processor.handle(b"s", raw("s", "a", "text"), SOURCE)
    assert processor.state(0).entries == {} and processor.state(0).stories == {}
    processor.apply(outcome)
    assert processor.handle(b"s", raw("s", "a", "text"), SOURCE).dropped == "replay"


def test_garbage_goes_to_the_dead_letter_record_with_the_original_bytes(processor):
    """Invalid UTF-8 is kept as base64, with the reason and the source position."""
    outcome = processor.process(b"s", b"\xff\xfe not json", SOURCE)
    dl = outcome.dead_letter
    assert dl is not None and "UTF-8" in dl.reason
    assert dl.value_encoding == "base64" and base64.b64decode(dl.value) == b"\xff\xfe not json"
    assert (dl.source.partition, dl.source.offset) == (0, 7)


def test_schema_errors_name_the_field(processor):
    """A raw event with a wrong field is rejected with its path."""
    doc = orjson.loads(raw("s", "a", "text"))
    doc["entry"]["colour"] = "red"
    outcome = processor.process(b"s", orjson.dumps(doc), SOURCE)
    assert outcome.dead_letter is not None and "entry.colour" in outcome.dead_letter.reason
    assert outcome.dead_letter.value_encoding == "utf-8"


def test_a_key_that_is_not_the_story_is_rejected(processor):
    """The Kafka key must be the story id, or per-story ordering breaks."""
    outcome = processor.process(b"other", raw("s", "a", "text"), SOURCE)
    assert outcome.dead_letter is not None and "does not match story" in outcome.dead_letter.reason


def test_delete_emits_an_empty_tombstone_and_blocks_later_replays(processor):
    """A delete clears the body; the entry cannot come back."""
    processor.process(b"s", raw("s", "a", "text"), SOURCE)
    tomb = processor.process(b"s", raw("s", "a", "text", op="delete"), SOURCE).entry
    assert (tomb.op, tomb.version, tomb.body_text) == ("delete", 2, "")
    assert processor.process(b"s", raw("s", "a", "text"), SOURCE).dropped == "deleted"


FERRY = "Ferry services between Holyhead and Dublin will resume tomorrow morning once harbour checks end."


def test_a_near_duplicate_is_delivered_marked_with_the_kept_id_by_default(processor):
    """The same post re-sent under a new id with an "Update:" prefix and a tracking link: delivered, marked."""
    kept = processor.process(b"s", raw("s", "live-1", FERRY), SOURCE)
    dup = processor.process(b"s", raw("s", "rss-9", "Update: " + FERRY + " https://x.example/a?utm_source=rss"),
                            SOURCE)
    assert kept.entry.duplicate_of is None and kept.near_verdict is None
    assert dup.entry is not None and dup.dropped is None and dup.near_verdict == "same"
    assert dup.entry.duplicate_of == "live-1"
    assert dup.entry.duplicate_reason == "differs only in links on one side only, a label"
    third = processor.process(b"s", raw("s", "page-3", FERRY.upper()), SOURCE).entry
    assert third.duplicate_of == "live-1"  # a marked entry is never the one others fold under


def drop_processor() -> Processor:
    return Processor(epoch_factory=lambda: "e", near_duplicates="drop")


def test_under_the_drop_policy_a_near_duplicate_is_recorded_on_the_dead_letter_topic():
    """Dropped, never silently: the DLQ record holds the kept id, the reason and the original record."""
    processor = drop_processor()
    processor.process(b"s", raw("s", "live-1", FERRY), SOURCE)
    value = raw("s", "rss-9", "BREAKING: " + FERRY)
    dup = processor.process(b"s", value, SOURCE)
    assert (dup.entry, dup.dropped, dup.duplicate_of) == (None, "near_duplicate", "live-1")
    record = dup.dead_letter
    assert record is not None and record.duplicate_of == "live-1"
    assert record.reason == "near duplicate of entry 'live-1': differs only in a label"
    assert record.value.encode() == value and record.source == SOURCE
    again = processor.process(b"s", value, SOURCE)
    assert (again.dropped, again.dead_letter) == ("replay", None)  # recorded once


def test_under_the_drop_policy_an_edit_of_a_dropped_post_that_now_says_more_is_delivered():
    """An id dropped as a copy is judged again when its text changes: the edit that adds news is a create."""
    processor = drop_processor()
    processor.process(b"s", raw("s", "live-1", FERRY), SOURCE)
    processor.process(b"s", raw("s", "rss-9", "Update: " + FERRY), SOURCE)
    edited = processor.process(b"s", raw("s", "rss-9", FERRY.replace("tomorrow morning", "on Friday")), SOURCE)
    assert edited.entry is not None and (edited.entry.op, edited.entry.version) == ("create", 1)
    assert edited.entry.duplicate_of is None
    assert processor.process(b"s", raw("s", "rss-9", "x", op="delete"), SOURCE).entry.op == "delete"


@pytest.mark.parametrize(("first", "second"), [
    ("The ceasefire is holding across most of the country, the UN envoy said.",
     "The ceasefire is not holding across most of the country, the UN envoy said."),
    ("The bridge over the river Tyne is open to traffic again after the crash, police say.",
     "The bridge over the river Tyne is closed to traffic again after the crash, police say."),
    ('"We will not retreat from our positions in the north," Putin said on Tuesday.',
     '"We will not retreat from our positions in the north," Assad said on Tuesday.'),
])
def test_posts_that_differ_in_news_are_both_delivered_unmarked_under_either_policy(first, second):
    """The pairs the old rule merged: a negation, an antonym, another speaker."""
    for processor in (Processor(), drop_processor()):
        processor.process(b"s", raw("s", "a", first), SOURCE)
        outcome = processor.process(b"s", raw("s", "b", second), SOURCE)
        assert outcome.entry is not None and outcome.entry.duplicate_of is None
        assert outcome.near_verdict == "news"


def test_an_edit_that_now_repeats_another_entry_stays_an_update_marked_under_either_policy():
    """Edits of an entry already delivered are never dropped: they are updates, marked when they repeat another."""
    for processor in (Processor(), drop_processor()):
        processor.process(b"s", raw("s", "live-1", FERRY), SOURCE)
        processor.process(b"s", raw("s", "live-2", "Harbour checks have started at Holyhead this morning."), SOURCE)
        edit = processor.process(b"s", raw("s", "live-2", "Update: " + FERRY), SOURCE).entry
        assert (edit.op, edit.version, edit.duplicate_of) == ("update", 2, "live-1")


def test_the_policy_must_be_mark_or_drop():
    with pytest.raises(ValueError, match="mark"):
        Processor(near_duplicates="fold")  # type: ignore[arg-type]


def test_different_posts_sharing_a_link_are_both_kept(processor):
    """Two posts linking the same article are not duplicates."""
    a = processor.process(b"s", raw("s", "a", "Putin orders start of Russian military withdrawal from Syria "
                                              "http://on.rt.com/76wy"), SOURCE)
    b = processor.process(b"s", raw("s", "b", "Moscow will keep its Hmeymim airbase in Latakia province "
                                              "http://on.rt.com/76wy"), SOURCE)
    assert a.entry is not None and b.entry is not None


def test_html_that_sanitises_to_nothing_is_rejected(processor):
    """An entry that is only a script has no text once sanitised: DLQ, with the reason."""
    entry = RawEntry(id="x", body_html="<script>alert(1)</script>")
    value = encode(make_raw_event("s", entry, source="test", now_ms=1))
    outcome = processor.process(b"s", value, SOURCE)
    assert outcome.dead_letter is not None and outcome.dead_letter.reason.startswith("entry:")


def _rebuilt(emitted: list[Entry]) -> Processor:
    """A fresh processor whose partition-0 state was read back from already emitted entries."""
    fresh = Processor(epoch_factory=lambda: "new-epoch")
    for entry in emitted:
        fresh.state(0).absorb(orjson.loads(encode(entry)))
    return fresh


def test_state_rebuilt_from_emitted_entries_recognises_replays_and_continues_seq(processor):
    """After a restart the output topic's entries are enough: replays drop, seq and epoch continue."""
    emitted = [processor.process(b"s", raw("s", f"id{i}", f"post number {i} about ferries"), SOURCE).entry
               for i in range(3)]
    emitted.append(processor.process(b"s", raw("s", "id0", "post number 0, corrected"), SOURCE).entry)
    fresh = _rebuilt(emitted)
    assert fresh.process(b"s", raw("s", "id1", "post number 1 about ferries"), SOURCE).dropped == "replay"
    assert fresh.process(b"s", raw("s", "id0", "post number 0, corrected"), SOURCE).dropped == "replay"
    following = fresh.process(b"s", raw("s", "id9", "a new post on harbour checks"), SOURCE).entry
    assert (following.seq, following.epoch) == (5, emitted[0].epoch)


def test_absorbing_the_same_entry_twice_changes_nothing(processor):
    """Reading back an entry the worker already applied leaves the state as it was."""
    entry = processor.process(b"s", raw("s", "a", "some text here"), SOURCE).entry
    before = (dict(processor.state(0).entries), dict(processor.state(0).stories))
    processor.state(0).absorb(orjson.loads(encode(entry)))
    assert (processor.state(0).entries, processor.state(0).stories) == before


def test_near_duplicate_index_is_rebuilt_from_emitted_entries(processor):
    """A rebuilt state still recognises a re-sent post under another id; a marked entry read back is not a
    candidate itself, so later copies still fold under the original."""
    kept = processor.process(b"s", raw("s", "live-1", FERRY), SOURCE).entry
    marked = processor.process(b"s", raw("s", "rss-9", "Update: " + FERRY), SOURCE).entry
    fresh = _rebuilt([kept, marked])
    assert fresh.process(b"s", raw("s", "page-4", FERRY + "!"), SOURCE).entry.duplicate_of == "live-1"
    assert fresh.process(b"s", raw("s", "rss-9", "Update: " + FERRY), SOURCE).dropped == "replay"


def test_a_deleted_entry_leaves_the_near_duplicate_index(processor):
    """Once deleted, an entry no longer makes a new post under another id a duplicate."""
    text = "Ferry services between Holyhead and Dublin will resume tomorrow morning once harbour checks end."
    processor.process(b"s", raw("s", "live-1", text), SOURCE)
    processor.process(b"s", raw("s", "live-1", text, op="delete"), SOURCE)
    assert processor.process(b"s", raw("s", "rss-9", text), SOURCE).entry.duplicate_of is None


def test_a_delete_whose_html_sanitises_to_nothing_is_still_a_tombstone(processor):
    """Deleting needs only the id: a body with no text left does not send the delete to the DLQ."""
    processor.process(b"s", raw("s", "a", "some text here"), SOURCE)
    entry = RawEntry(id="a", body_html="<script>alert(1)</script>")
    tomb = processor.process(b"s", encode(make_raw_event("s", entry, op="delete", source="test", now_ms=2)), SOURCE)
    assert tomb.entry is not None and (tomb.entry.op, tomb.entry.version) == ("delete", 2)


def test_a_record_over_every_text_limit_is_rejected_whole(processor):
    """A 300,000-character body is refused, and the dead letter keeps every byte of it."""
    doc = orjson.loads(raw("s", "big", "x"))
    doc["entry"]["body_text"] = "x" * 300_000
    value = orjson.dumps(doc)
    outcome = processor.process(b"s", value, SOURCE)
    assert outcome.dead_letter is not None and "entry.body_text" in outcome.dead_letter.reason
    assert outcome.dead_letter.value.encode() == value


def test_a_bug_in_a_rule_becomes_a_dead_letter_not_a_crash():
    """An enricher that raises sends that one record to the DLQ with the error; the next record flows."""
    def fragile(entry):
        if "boom" in entry.body_text:
            raise RuntimeError("enricher bug")
        return {}

    processor = Processor(enrichers=(fragile,))
    outcome = processor.process(b"s", raw("s", "a", "this text goes boom"), SOURCE)
    assert outcome.dead_letter is not None and "enricher bug" in outcome.dead_letter.reason
    following = processor.process(b"s", raw("s", "b", "the next entry is fine"), SOURCE).entry
    assert following is not None and following.seq == 1
