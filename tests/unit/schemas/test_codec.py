"""The orjson codec: one SchemaError with a readable reason for every kind of bad bytes."""

import orjson
import pytest

from newswire.producers.kafka import make_raw_event
from newswire.schemas import RawEntry, SchemaError, decode_raw, encode
from newswire.schemas.codec import MAX_DEPTH, loads


def good_event() -> bytes:
    return encode(make_raw_event("s", RawEntry(id="a", body_text="text"), source="test", now_ms=1))


def test_a_good_event_round_trips():
    """encode then decode gives the same event."""
    value = good_event()
    assert encode(decode_raw(value)) == value


@pytest.mark.parametrize("data, reason", [
    (b"\xff\xfe{}", "invalid UTF-8"),
    (b'{"a": 1', "malformed JSON"),
    (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    (b'{"entry": {"body_text": "x", "body_text": "y"}}', "duplicate key 'body_text'"),
    (b'{"a":1,"a":1}', "duplicate key 'a'"),  # compact, as orjson writes, with the same value twice
    (b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5), "nested deeper"),
])
def test_bad_bytes_give_one_error_type_with_the_reason(data, reason):
    """Invalid UTF-8, broken JSON, duplicate keys and deep nesting: SchemaError naming the problem."""
    with pytest.raises(SchemaError, match=reason):
        loads(data)


def test_a_forged_second_value_for_a_field_is_refused():
    """A record that repeats "source" to override it is rejected, not silently read with the last value."""
    forged = good_event()[:-1] + b',"source":"forged"}'
    with pytest.raises(SchemaError, match="duplicate key 'source'"):
        decode_raw(forged)


def test_schema_errors_carry_field_paths():
    """A wrong field is reported with its dotted path."""
    doc = orjson.loads(good_event())
    doc["entry"]["published_at"] = "yesterday"
    with pytest.raises(SchemaError) as caught:
        decode_raw(orjson.dumps(doc))
    assert [path for path, _ in caught.value.errors] == ["entry.published_at"]


def test_an_entry_frame_spliced_around_the_records_bytes_is_the_encoded_frame() -> None:
    """The gateway splices the entry's bytes from newswire.entries into the frame instead of encoding the entry
    again: for what the processor writes the bytes are the same, and any JSON object makes a valid message."""
    from datetime import UTC, datetime

    from newswire.schemas import Entry, encode
    from newswire.schemas.ws import EntryMessage, entry_frame

    entry = Entry(id="e1", story="s", version=2, op="update", seq=7, epoch="ep", ts=1_457_982_960_000,
                  published_at=datetime(2016, 3, 14, 19, 16, tzinfo=UTC),
                  body_text="Putin orders withdrawal \u201cnow\u201d",
                  hashtags=["Syria"])
    raw = encode(entry)
    decoded = orjson.loads(raw)
    spliced = entry_frame("story:s", decoded, raw)
    assert spliced == entry_frame("story:s", decoded)
    assert spliced.index(b'"ts"') < 256
    message = EntryMessage.model_validate_json(spliced)
    assert (message.channel, message.seq, message.entry.body_text) == ("story:s", 7, entry.body_text)
    loose = b'  {"id": "e1",  "story": "s"}\n'
    assert orjson.loads(entry_frame('tag:"x"', {"seq": 1, "ts": 2, "epoch": "e", "op": "create"}, loose)) == {
        "type": "entry", "seq": 1, "ts": 2, "channel": 'tag:"x"', "epoch": "e", "op": "create",
        "entry": {"id": "e1", "story": "s"}}
