"""The gateway's protocol core, driven without sockets or Kafka."""

from __future__ import annotations

import time
from typing import Any

import jwt
import orjson
import pytest

from newswire.gateway.protocol import (
    CLOSE_BAD_DATA,
    CLOSE_FLOOD,
    CLOSE_IDLE,
    CLOSE_TOKEN_EXPIRED,
    BadRecord,
    Hub,
    Session,
    parse_channel,
)
from newswire.gateway.settings import GatewaySettings

KEY = "k" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def entry(seq: int, story: str = "s1", *, eid: str | None = None, version: int = 1, epoch: str = "E1",
          op: str = "create", hashtags: tuple[str, ...] = (), places: tuple[str, ...] = (),
          people: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": eid or f"{story}-e{seq}", "story": story, "version": version, "op": op, "seq": seq,
            "epoch": epoch, "ts": 1_800_000_000_000 + seq, "published_at": "2026-01-01T00:00:00Z",
            "body_text": f"entry {seq}", "hashtags": list(hashtags),
            "places": [{"name": p} for p in places], "people": [{"name": p} for p in people]}


def make_hub(**overrides: Any) -> tuple[Hub, Clock]:
    clock = Clock()
    settings = GatewaySettings(**{"jwt_key": KEY, **overrides})
    return Hub(settings, clock=clock), clock


def send(hub: Hub, session: Session, **msg: Any) -> None:
    hub.receive(session, orjson.dumps(msg))


def flush_for(hub: Hub, session: Session) -> list[dict[str, Any]]:
    return hub.flush().messages_for(session)


def token(clock: Clock, channels: list[str], ttl: float = 60) -> str:
    return jwt.encode({"exp": int(clock.now + ttl), "channels": channels}, KEY, algorithm="HS256")


def seqs(messages: list[dict[str, Any]]) -> list[int]:
    return [m["seq"] for m in messages if m["type"] == "entry"]


def test_subscribe_without_since_gets_only_new_entries() -> None:
    """No since: subscribed with the latest seq, then only what arrives next."""
    hub, _ = make_hub()
    for i in (1, 2):
        hub.ingest(entry(i))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1")
    first = flush_for(hub, s)
    assert first == [{"type": "subscribed", "channel": "story:s1", "epoch": "E1", "seq": 2}]
    hub.ingest(entry(3))
    assert seqs(flush_for(hub, s)) == [3]


def test_since_zero_replays_whole_history_then_live() -> None:
    """since 0 replays every held entry in seq order, then live entries follow without a gap."""
    hub, _ = make_hub()
    for i in range(1, 4):
        hub.ingest(entry(i))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1", since=0)
    msgs = flush_for(hub, s)
    assert msgs[0]["recovered"] is True
    assert seqs(msgs) == [1, 2, 3]
    hub.ingest(entry(4))
    assert seqs(flush_for(hub, s)) == [4]


def test_since_inside_history_replays_exactly_the_missed_entries() -> None:
    """since 5 of 10 replays 6..10 once each."""
    hub, _ = make_hub()
    for i in range(1, 11):
        hub.ingest(entry(i))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1", since=5)
    assert seqs(flush_for(hub, s)) == [6, 7, 8, 9, 10]


def test_subscribe_while_entries_wait_gets_no_duplicate_and_no_gap() -> None:
    """Entries ingested before and after a subscribe within one window reach the client exactly once."""
    hub, _ = make_hub()
    watcher = hub.open_session()
    send(hub, watcher, type="subscribe", channel="story:s1")
    flush_for(hub, watcher)
    hub.ingest(entry(1))
    late = hub.open_session()
    send(hub, late, type="subscribe", channel="story:s1", since=0)
    hub.ingest(entry(2))
    plan = hub.flush()
    assert seqs(plan.messages_for(late)) == [1, 2]
    assert seqs(plan.messages_for(watcher)) == [1, 2]


def test_since_before_history_gets_resync_never_a_silent_gap() -> None:
    """History trimmed by count: since older than it answers recovered false and a resync."""
    hub, _ = make_hub(history_max_entries=3)
    for i in range(1, 8):
        hub.ingest(entry(i))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1", since=2)
    msgs = flush_for(hub, s)
    assert msgs[0]["recovered"] is False
    assert msgs[1] == {"type": "resync", "channel": "story:s1", "reason": "history_too_short", "epoch": "E1",
                       "seq": 7}
    assert seqs(msgs) == []


def test_history_is_bounded_by_age() -> None:
    """Entries older than history_max_age_s leave history."""
    hub, _ = make_hub(history_max_age_s=10)
    hub.ingest(entry(1), kafka_ts=1_000_000)
    hub.ingest(entry(2), kafka_ts=1_000_000 + 20_000)
    assert [r.seq for r in hub.stories["s1"].records] == [2]


def test_since_with_another_epoch_gets_resync() -> None:
    """A client resuming from an old epoch is told to resync."""
    hub, _ = make_hub()
    hub.ingest(entry(1, epoch="E2"))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1", since=1, epoch="E1")
    msgs = flush_for(hub, s)
    assert msgs[1]["type"] == "resync" and msgs[1]["reason"] == "epoch_changed" and msgs[1]["epoch"] == "E2"
    assert seqs(msgs) == []


def test_since_zero_after_trimming_replays_what_is_held_without_resync() -> None:
    """since 0 is 'everything held': no resync (a client answering resync with since 0 must not loop)."""
    hub, _ = make_hub(history_max_entries=3)
    for i in range(1, 8):
        hub.ingest(entry(i))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1", since=0)
    msgs = flush_for(hub, s)
    assert msgs[0]["recovered"] is True
    assert [m["type"] for m in msgs].count("resync") == 0
    assert seqs(msgs) == [5, 6, 7]


def test_epoch_change_sends_resync_to_subscribers() -> None:
    """When the processor restarts numbering, subscribers get a resync with the new epoch, then entries."""
    hub, _ = make_hub()
    hub.ingest(entry(1))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="story:s1")
    flush_for(hub, s)
    hub.ingest(entry(1, eid="x", epoch="E2"))
    msgs = flush_for(hub, s)
    assert [m["type"] for m in msgs] == ["resync", "entry"]
    assert msgs[0]["epoch"] == "E2" and msgs[0]["reason"] == "epoch_changed"
    assert (msgs[1]["epoch"], msgs[1]["seq"]) == ("E2", 1)
    assert hub.stories["s1"].epoch == "E2" and hub.stories["s1"].latest == 1


def test_replayed_id_version_is_dropped() -> None:
    """An (id, version) already held, or a seq already passed, is dropped once and counted."""
    hub, _ = make_hub()
    assert hub.ingest(entry(1)) is not None
    assert hub.ingest(entry(1)) is None
    assert hub.ingest(entry(2, eid="s1-e1")) is None
    assert hub.ingest(entry(2, eid="s1-e1", version=2, op="update")) is not None
    assert hub.counters.duplicates == 2


def test_bad_records_are_refused_with_a_reason() -> None:
    """Records without the fields the gateway relies on raise BadRecord and are counted."""
    hub, _ = make_hub()
    with pytest.raises(BadRecord, match="not JSON"):
        hub.ingest_bytes(b"{nope", 0)
    bad = entry(1)
    del bad["seq"]
    with pytest.raises(BadRecord, match="seq"):
        hub.ingest_bytes(orjson.dumps(bad), 0)
    with pytest.raises(BadRecord, match="op"):
        hub.ingest_bytes(orjson.dumps({**entry(1), "op": "explode"}), 0)
    assert hub.counters.bad_records == 3


def test_tag_place_person_and_prefix_channels() -> None:
    """Aggregate channels get the entries that match them, case-insensitively."""
    hub, _ = make_hub()
    sessions = {}
    for name in ("tag:syria", "place:damascus", "person:vladimir putin", "prefix:uk-"):
        sessions[name] = hub.open_session()
        send(hub, sessions[name], type="subscribe", channel=name)
    hub.flush()
    hub.ingest(entry(1, story="uk-election", hashtags=("Syria",)))
    hub.ingest(entry(1, story="world", places=("Damascus",), people=("Vladimir Putin",)))
    plan = hub.flush()
    stories = {name: [m["entry"]["story"] for m in plan.messages_for(s)] for name, s in sessions.items()}
    assert stories == {"tag:syria": ["uk-election"], "place:damascus": ["world"],
                       "person:vladimir putin": ["world"], "prefix:uk-": ["uk-election"]}


def test_aggregate_channel_resumes_from_story_cursors() -> None:
    """A {story: seq} map resumes a tag channel with exactly the missed entries of every story."""
    hub, _ = make_hub()
    hub.ingest(entry(1, story="a", hashtags=("x",)))
    hub.ingest(entry(1, story="b", hashtags=("x",)))
    hub.ingest(entry(2, story="a", hashtags=("x",)))
    hub.ingest(entry(2, story="b"))
    hub.ingest(entry(3, story="b", hashtags=("x",)))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="tag:x", since={"a": 1, "b": 1})
    msgs = flush_for(hub, s)
    assert msgs[0]["recovered"] is True
    assert [(m["entry"]["story"], m["seq"]) for m in msgs[1:]] == [("a", 2), ("b", 3)]


def test_aggregate_since_must_be_zero_or_a_map() -> None:
    """An integer since other than 0 on an aggregate channel is an error, not a guess."""
    hub, _ = make_hub()
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="tag:x", since=4)
    assert flush_for(hub, s)[0]["code"] == "bad_since"


def test_bad_messages_get_errors_and_the_session_survives() -> None:
    """Non-JSON, non-objects, unknown types and unknown channels get error messages."""
    hub, _ = make_hub()
    s = hub.open_session()
    hub.receive(s, b"not json")
    hub.receive(s, b"[1, 2]")
    send(hub, s, type="dance")
    send(hub, s, type="subscribe", channel="weather:london")
    send(hub, s, type="subscribe")
    send(hub, s, type="unsubscribe", channel="story:nope")
    codes = [m["code"] for m in flush_for(hub, s)]
    assert codes == ["bad_json", "bad_message", "unknown_type", "unknown_channel", "bad_message",
                     "not_subscribed"]
    assert s.close is None


def test_binary_frame_closes_with_1003() -> None:
    """The protocol is JSON text: a binary frame closes the connection with a reason."""
    hub, _ = make_hub()
    s = hub.open_session()
    hub.reject_binary(s)
    assert s.close is not None and s.close[0] == CLOSE_BAD_DATA


def test_channel_limit_per_connection() -> None:
    """Past max_channels a subscribe gets too_many_channels."""
    hub, _ = make_hub(max_channels=2)
    s = hub.open_session()
    for i in range(3):
        send(hub, s, type="subscribe", channel=f"story:s{i}")
    msgs = flush_for(hub, s)
    assert [m["type"] for m in msgs].count("subscribed") == 2
    assert any(m.get("code") == "too_many_channels" for m in msgs)


def test_message_rate_limit_errors_then_closes_a_flood() -> None:
    """Over max_messages_per_s: one rate_limited error; over twice that: close 4029."""
    hub, clock = make_hub(max_messages_per_s=5)
    s = hub.open_session()
    for _ in range(6):
        send(hub, s, type="ping")
    assert [m["type"] for m in flush_for(hub, s)] == ["pong"] * 5 + ["error"]
    for _ in range(5):
        send(hub, s, type="ping")
    assert s.close is not None and s.close[0] == CLOSE_FLOOD


def test_application_ping_gets_pong_with_id() -> None:
    """Browsers cannot see protocol pings: an application ping is answered with its id."""
    hub, clock = make_hub()
    s = hub.open_session()
    send(hub, s, type="ping", id=7)
    assert flush_for(hub, s) == [{"type": "pong", "ts": int(clock.now * 1000), "id": 7}]


def test_idle_session_is_closed() -> None:
    """Nothing received for idle_timeout_s closes with 4000."""
    hub, clock = make_hub(idle_timeout_s=30)
    s = hub.open_session()
    clock.now += 31
    assert hub.housekeeping() == [s]
    assert s.close is not None and s.close[0] == CLOSE_IDLE


def test_firehose_needs_a_token() -> None:
    """Without a token, 'all' is forbidden; with a token granting it, entries flow."""
    hub, clock = make_hub()
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="all")
    assert flush_for(hub, s)[0]["code"] == "forbidden"
    send(hub, s, type="auth", token=token(clock, ["all"]))
    send(hub, s, type="subscribe", channel="all")
    assert [m["type"] for m in flush_for(hub, s)] == ["authenticated", "subscribed"]
    hub.ingest(entry(1))
    assert seqs(flush_for(hub, s)) == [1]


def test_expired_forged_and_wrongly_scoped_tokens_are_refused() -> None:
    """Expired, forged (other key) and wrongly-scoped tokens never open a private channel."""
    hub, clock = make_hub(private_stories=("secret-*",))
    cases = {
        "token_expired": token(clock, ["*"], ttl=-5),
        "token_invalid": jwt.encode({"exp": int(clock.now + 60), "channels": ["*"]}, "o" * 40,
                                    algorithm="HS256"),
        "forbidden": token(clock, ["story:secret-other"]),
    }
    for code, tok in cases.items():
        s = hub.open_session()
        send(hub, s, type="subscribe", channel="story:secret-1", token=tok)
        msgs = flush_for(hub, s)
        assert msgs[-1]["code"] == code, msgs
        assert "story:secret-1" not in s.channels


def test_private_story_stays_out_of_public_aggregate_channels() -> None:
    """Entries of a private story do not leak through tag or prefix channels."""
    hub, _ = make_hub(private_stories=("secret-*",))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="prefix:secret")
    send(hub, s, type="subscribe", channel="tag:x")
    hub.flush()
    hub.ingest(entry(1, story="secret-1", hashtags=("x",)))
    assert seqs(hub.flush().messages_for(s)) == []


def test_token_refresh_keeps_a_private_subscription_open() -> None:
    """A token refreshed before expiry keeps the connection; an unrefreshed one closes it with 4001."""
    hub, clock = make_hub()
    refreshed, lapsed = hub.open_session(), hub.open_session()
    for s in (refreshed, lapsed):
        send(hub, s, type="subscribe", channel="all", token=token(clock, ["all"], ttl=10))
    hub.flush()
    clock.now += 5
    send(hub, refreshed, type="auth", token=token(clock, ["all"], ttl=60))
    send(hub, lapsed, type="ping")
    clock.now += 10
    closing = hub.housekeeping()
    assert closing == [lapsed]
    assert lapsed.close is not None and lapsed.close[0] == CLOSE_TOKEN_EXPIRED
    assert refreshed.close is None


def test_unsubscribe_stops_entries_and_viewer_counts_follow() -> None:
    """Unsubscribe is acknowledged, stops delivery and lowers the viewer count."""
    hub, _ = make_hub()
    a, b = hub.open_session(), hub.open_session()
    for s in (a, b):
        send(hub, s, type="subscribe", channel="story:s1")
    hub.flush()
    assert hub.viewers() == {"s1": 2}
    send(hub, a, type="unsubscribe", channel="story:s1")
    assert flush_for(hub, a) == [{"type": "unsubscribed", "channel": "story:s1"}]
    hub.ingest(entry(1))
    plan = hub.flush()
    assert seqs(plan.messages_for(a)) == [] and seqs(plan.messages_for(b)) == [1]
    hub.close_session(b)
    assert hub.viewers() == {}


def test_entry_frame_puts_ts_in_the_first_256_bytes() -> None:
    """Load generators time delivery from ts: it sits near the start of every entry frame."""
    hub, _ = make_hub()
    rec = hub.ingest({**entry(1), "body_text": "x" * 5000})
    assert rec is not None
    frame = rec.frame("story:s1")
    assert b'"ts":' in frame[:256] and frame.startswith(b'{"type":"entry","seq":1,"ts":')


def test_parse_channel_names() -> None:
    """Channel names parse into kinds; unknown kinds and empty names are refused."""
    assert parse_channel("all") == ("all", "")
    assert parse_channel("prefix:uk-") == ("prefix", "uk-")
    for bad in ("story:", "nope:x", "story", "tag:" + "x" * 300):
        with pytest.raises(ValueError):
            parse_channel(bad)


def test_clock_default_is_wall_time() -> None:
    """Without an injected clock the hub uses wall time for pongs."""
    hub = Hub(GatewaySettings())
    s = hub.open_session()
    send(hub, s, type="ping")
    assert abs(hub.flush().messages_for(s)[0]["ts"] - time.time() * 1000) < 5000


def test_aggregate_cursor_older_than_history_gets_resync_and_no_partial_replay() -> None:
    """A story cursor behind the held history: recovered false, a resync, and nothing replayed."""
    hub, _ = make_hub(history_max_entries=2)
    for i in range(1, 6):
        hub.ingest(entry(i, story="a", hashtags=("x",)))
    s = hub.open_session()
    send(hub, s, type="subscribe", channel="tag:x", since={"a": 1})
    msgs = flush_for(hub, s)
    assert msgs[0]["recovered"] is False
    assert msgs[1]["type"] == "resync" and msgs[1]["reason"] == "history_too_short"
    assert seqs(msgs) == []


@pytest.mark.parametrize(("message", "code"), [
    ({"type": "ping", "id": 7, "extra": 1}, "bad_message"),  # the models forbid unknown fields
    ({"type": "ping", "id": 1.5}, "bad_message"),
    ({"type": "subscribe", "channel": "story:x", "since": "5"}, "bad_since"),  # strict: no "5" for 5
    ({"type": "subscribe", "channel": "story:x", "since": True}, "bad_since"),  # nor true for 1
    ({"type": "subscribe", "channel": "story:x", "epoch": 3}, "bad_message"),
    ({"type": "subscribe", "channel": ""}, "bad_message"),
    ({"type": "auth"}, "bad_message"),
    ({"type": "unsubscribe", "channel": 5}, "bad_message"),
])
def test_client_messages_are_held_to_the_schema_models(message: dict[str, Any], code: str) -> None:
    """What newswire.schemas.ws refuses, the hub refuses, naming the field; the session stays open."""
    from pydantic import ValidationError

    from newswire.schemas.ws import CLIENT_MESSAGE

    with pytest.raises(ValidationError):
        CLIENT_MESSAGE.validate_python(message)
    hub, _ = make_hub()
    s = hub.open_session()
    send(hub, s, **message)
    [error] = flush_for(hub, s)
    assert (error["type"], error["code"]) == ("error", code) and error["message"]
    assert s.close is None


@pytest.mark.parametrize("message", [
    {"type": "ping"}, {"type": "ping", "id": "a"}, {"type": "subscribe", "channel": "story:x"},
    {"type": "subscribe", "channel": "story:x", "since": 0, "epoch": "e1"},
    {"type": "subscribe", "channel": "tag:syria", "since": {"s": 3}},
])
def test_messages_the_models_accept_get_no_error(message: dict[str, Any]) -> None:
    from newswire.schemas.ws import CLIENT_MESSAGE

    CLIENT_MESSAGE.validate_python(message)
    hub, _ = make_hub()
    s = hub.open_session()
    send(hub, s, **message)
    assert not [m for m in flush_for(hub, s) if m["type"] == "error"]


def test_the_story_id_pattern_is_the_one_the_documents_publish() -> None:
    """AsyncAPI and OpenAPI documents show the pattern of newswire.schemas.model, the one definition."""
    from pathlib import Path

    from newswire.schemas.model import STORY_ID_PATTERN

    root = Path(__file__).parents[3]
    for document in (root / "schemas" / "asyncapi.yaml", root / "producers" / "openapi.json"):
        text = document.read_text(encoding="utf-8")
        assert STORY_ID_PATTERN in text and text.count("[A-Za-z0-9][A-Za-z0-9._:-]") == text.count(STORY_ID_PATTERN)


def test_admission_refuses_an_origin_not_allowed() -> None:
    hub, _ = make_hub(allowed_origins=("https://newsroom.example",))
    assert hub.admit("https://newsroom.example") is None
    assert hub.admit(None) is None  # not a browser: no Origin header
    refusal = hub.admit("https://evil.example")
    assert refusal is not None and (refusal.reason, refusal.status) == ("origin", 403)
    assert "https://evil.example" in refusal.message


def test_admission_refuses_past_the_connection_limit_with_a_retry() -> None:
    hub, _ = make_hub(max_connections=2)
    for _ in range(2):
        assert hub.admit(None) is None
        hub.open_session()
    refusal = hub.admit(None)
    assert refusal is not None and (refusal.reason, refusal.status, refusal.retry_after_s) == (
        "max_connections", 503, 5)


def test_admission_limits_new_connections_per_second_with_a_token_bucket() -> None:
    """At most max_new_connections_per_s in a burst; the bucket refills with time."""
    hub, clock = make_hub(max_new_connections_per_s=3)
    assert [hub.admit(None) is None for _ in range(4)] == [True, True, True, False]
    refused = hub.admit(None)
    assert refused is not None and (refused.reason, refused.retry_after_s) == ("rate", 1)
    clock.now += 0.34  # a third of a second: one more token
    assert hub.admit(None) is None and hub.admit(None) is not None
    clock.now += 10  # refills up to one second's worth, not more
    assert [hub.admit(None) is None for _ in range(4)] == [True, True, True, False]
