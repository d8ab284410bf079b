"""The gateway's protocol core: channels, history, resume, limits, dedup. No sockets here.

The server feeds it entries read from ``newswire.entries`` (:meth:`Hub.ingest`) and text received
from clients (:meth:`Hub.receive`), then asks what to write (:meth:`Hub.flush`). Each entry is
serialised once per channel; the I/O layer frames each channel's batch once and writes the same
bytes to every subscriber, so the fan-out never encodes or awaits per client.

Channels (see docs/gateway.md for how each resumes):

- ``story:ID``      one story, resumable by ``seq`` within an ``epoch``
- ``tag:NAME``      entries carrying hashtag NAME (case-insensitive, no ``#``)
- ``place:NAME``    entries naming that place; ``person:NAME`` entries naming that person
- ``prefix:P``      every story whose id starts with P (e.g. ``prefix:uk-``)
- ``all``           the firehose of every story (needs a token)

A subscription answered while events for its channel are waiting to be written is applied at the
next :meth:`Hub.flush`, after that batch: the replay then covers everything ingested so far and the
live stream starts right after it, so a client never gets a duplicate or a gap.
"""

from __future__ import annotations

import fnmatch
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson
from pydantic import ValidationError

from newswire.schemas.ws import (
    CLIENT_MESSAGE,
    CLOSE_BAD_DATA,
    CLOSE_FLOOD,
    CLOSE_IDLE,
    CLOSE_SLOW,
    CLOSE_TOKEN_EXPIRED,
    Auth,
    Ping,
    Subscribe,
    Unsubscribe,
    entry_frame,
)

from .settings import GatewaySettings

__all__ = [
    "CLOSE_BAD_DATA",
    "CLOSE_FLOOD",
    "CLOSE_IDLE",
    "CLOSE_SLOW",
    "CLOSE_TOKEN_EXPIRED",
    "BadRecord",
    "Channel",
    "Flush",
    "Hub",
    "Record",
    "Refusal",
    "Session",
    "StoryHistory",
    "parse_channel",
]

#: Close codes: one definition, in the protocol's schema (newswire.schemas.ws), documented in docs/gateway.md.

KINDS = ("story", "tag", "place", "person", "prefix")
MAX_NAME = 200


class BadRecord(ValueError):
    """A ``newswire.entries`` record the gateway cannot serve (reason in the message)."""


def parse_channel(name: str) -> tuple[str, str]:
    """``"story:x"`` → ``("story", "x")``; ``"all"`` → ``("all", "")``. Raise ValueError when unknown."""
    if name == "all":
        return "all", ""
    kind, sep, arg = name.partition(":")
    if not sep or kind not in KINDS:
        raise ValueError(f"unknown channel {name[:80]!r}: use story:ID, tag:NAME, place:NAME, person:NAME, "
                         "prefix:P or all")
    if not arg or len(arg) > MAX_NAME:
        raise ValueError(f"channel {name[:80]!r} needs a name of 1 to {MAX_NAME} characters")
    return kind, arg


def _key(text: str) -> str:
    """Names in tag/place/person channels compare case-insensitively."""
    return text.strip().lstrip("#").casefold()


@dataclass(slots=True, eq=False)
class Record:
    """One entry as the gateway holds it."""

    n: int  # arrival order on this node (replays of aggregate channels keep it)
    story: str
    seq: int
    epoch: str
    id: str
    version: int
    ts: int
    kafka_ts: int
    entry: dict[str, Any]
    private: bool
    names: frozenset[str]  # the tag:/place:/person: channels this entry belongs to
    frames: dict[str, bytes] = field(default_factory=dict)
    #: the entry's JSON as read from newswire.entries: frames are spliced around it, not encoded again
    raw: bytes | None = None

    def frame(self, channel: str) -> bytes:
        """The ``entry`` message for ``channel``, built once and cached."""
        data = self.frames.get(channel)
        if data is None:
            data = self.frames[channel] = entry_frame(channel, self.entry, self.raw)
        return data


def record_from_entry(entry: Any, n: int, kafka_ts: int, private: bool, raw: bytes | None = None) -> Record:
    """Check the fields the gateway relies on and build a :class:`Record` (BadRecord when missing)."""
    if not isinstance(entry, dict):
        raise BadRecord("value is not a JSON object")
    try:
        story, seq, epoch, eid, version, ts = (entry["story"], entry["seq"], entry["epoch"], entry["id"],
                                               entry["version"], entry["ts"])
    except KeyError as exc:
        raise BadRecord(f"entry lacks {exc.args[0]!r}") from None
    if not (isinstance(story, str) and story and isinstance(eid, str) and isinstance(epoch, str)):
        raise BadRecord("story, id and epoch must be non-empty strings")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (seq, version, ts)) or seq < 1:
        raise BadRecord("seq, version and ts must be integers, seq from 1")
    if entry.get("op") not in ("create", "update", "delete"):
        raise BadRecord(f"op {entry.get('op')!r} is not create, update or delete")
    names: set[str] = set()
    for tag in entry.get("hashtags") or ():
        if isinstance(tag, str) and tag.strip():
            names.add("tag:" + _key(tag))
    for kind, items in (("place", entry.get("places")), ("person", entry.get("people"))):
        for item in items or ():
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name.strip():
                names.add(f"{kind}:{_key(name)}")
    if raw is not None:
        # frames are spliced around the bytes: of the decoded entry only what frames carry is kept (a decoded
        # 3.8 KB entry is ~10 KB of Python objects, held in history for every entry)
        entry = {"seq": seq, "ts": ts, "epoch": epoch, "op": entry["op"], "story": story}
    return Record(n, story, seq, epoch, eid, version, ts, kafka_ts, entry, private, frozenset(names), raw=raw)


class StoryHistory:
    """Entries of one story in seq order for the current epoch, bounded by count and age."""

    __slots__ = ("story", "epoch", "latest", "records", "seen", "max_entries", "max_age_ms")

    def __init__(self, story: str, max_entries: int, max_age_ms: int) -> None:
        self.story = story
        self.epoch: str | None = None
        self.latest = 0
        self.records: deque[Record] = deque()
        self.seen: set[tuple[str, int]] = set()
        self.max_entries = max_entries
        self.max_age_ms = max_age_ms

    def first_seq(self) -> int:
        """The oldest seq held (latest + 1 when none)."""
        return self.records[0].seq if self.records else self.latest + 1

    def accept(self, rec: Record) -> str:
        """Add ``rec``: ``"new"``, ``"new-epoch"`` (history restarted) or ``"duplicate"`` (dropped)."""
        outcome = "new"
        if rec.epoch != self.epoch:
            if self.epoch is not None:
                outcome = "new-epoch"
            self.epoch, self.latest = rec.epoch, 0
            self.records.clear()
            self.seen.clear()
        if rec.seq <= self.latest or (rec.id, rec.version) in self.seen:
            return "duplicate"
        self.latest = rec.seq
        self.records.append(rec)
        self.seen.add((rec.id, rec.version))
        self.trim(rec.kafka_ts)
        return outcome

    def trim(self, now_ms: int) -> None:
        oldest = now_ms - self.max_age_ms
        while self.records and (len(self.records) > self.max_entries or self.records[0].kafka_ts < oldest):
            old = self.records.popleft()
            self.seen.discard((old.id, old.version))

    def after(self, since: int) -> list[Record]:
        """Records with seq > since (the caller checked that history reaches back that far)."""
        if since < self.first_seq():
            return list(self.records)
        return list(itertools.dropwhile(lambda r: r.seq <= since, self.records))


class Channel:
    """Subscribers of one channel and the entry messages waiting for the next flush."""

    __slots__ = ("name", "kind", "arg", "subscribers", "pending", "pending_records")

    def __init__(self, name: str, kind: str, arg: str) -> None:
        self.name, self.kind, self.arg = name, kind, arg
        self.subscribers: set[Session] = set()
        self.pending: list[bytes] = []
        self.pending_records: list[Record] = []


@dataclass(eq=False)
class Session:
    """The protocol state of one client connection (websocket or SSE)."""

    id: int
    connected_at: float
    kind: str = "ws"
    channels: dict[str, Channel] = field(default_factory=dict)
    outbox: list[bytes] = field(default_factory=list)
    #: (code, reason) once the connection must be closed; the I/O layer closes it.
    close: tuple[int, str] | None = None
    scopes: tuple[str, ...] = ()
    token_exp: float | None = None
    last_seen: float = 0.0
    rate_window: float = 0.0
    rate_count: int = 0
    joins: list[tuple[Channel, Any, str | None]] = field(default_factory=list)
    #: Transport-specific data the I/O layer attaches (the socket, the SSE cursor).
    io: Any = None


@dataclass
class Flush:
    """What to write now: each channel batch goes to all its subscribers; then each session's outbox."""

    #: (channel, its subscribers when the batch was taken, entry messages, their records)
    batches: list[tuple[Channel, list[Session], list[bytes], list[Record]]]
    #: (session, the control messages and replays due to it); closing sessions appear even with none
    sessions: list[tuple[Session, list[bytes]]]

    def messages_for(self, session: Session) -> list[dict[str, Any]]:
        """Decoded messages due to ``session`` in write order (tests and SSE use it)."""
        out = [orjson.loads(p) for _, subscribers, payloads, _ in self.batches if session in subscribers
               for p in payloads]
        for s, outbox in self.sessions:
            if s is session:
                out.extend(orjson.loads(p) for p in outbox)
        return out


@dataclass
class Counters:
    """Plain counters the metrics endpoint reads."""

    ingested: int = 0
    duplicates: int = 0
    bad_records: int = 0
    epoch_changes: int = 0
    recovered: int = 0
    not_recovered: int = 0
    errors_sent: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a new connection is refused, as the HTTP answer a client can act on."""

    reason: str  # origin, max_connections, rate (the label of newswire_gateway_refused_connections)
    status: int
    message: str
    retry_after_s: int | None = None


class Hub:
    """All channels, histories and sessions of one gateway process."""

    def __init__(self, settings: GatewaySettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.stories: dict[str, StoryHistory] = {}
        self.channels: dict[str, Channel] = {}
        self.prefix_channels: dict[str, Channel] = {}
        self.sessions: set[Session] = set()
        self.dirty_channels: list[Channel] = []
        self.dirty_sessions: set[Session] = set()
        self.counters = Counters()
        self._arrivals = itertools.count(1)
        self._session_ids = itertools.count(1)
        #: the token bucket of new connections: refilled at max_new_connections_per_s, up to one second's worth
        self._connection_tokens = settings.max_new_connections_per_s
        self._tokens_at = clock()

    # ---- admission -------------------------------------------------------------------------------------

    def admit(self, origin: str | None) -> Refusal | None:
        """Whether a new connection may open (None) or why not: a browser origin not allowed, the connection
        limit reached, or more new connections per second than the limit (a token bucket)."""
        settings = self.settings
        if origin and settings.allowed_origins and origin not in settings.allowed_origins:
            return Refusal("origin", 403, f"origin {origin} is not allowed")
        if len(self.sessions) >= settings.max_connections:
            return Refusal("max_connections", 503, "too many connections", 5)
        now = self.clock()
        rate = settings.max_new_connections_per_s
        self._connection_tokens = min(rate, self._connection_tokens + max(now - self._tokens_at, 0.0) * rate)
        self._tokens_at = now
        if self._connection_tokens < 1:
            return Refusal("rate", 503, "too many new connections per second", 1)
        self._connection_tokens -= 1
        return None

    # ---- entries ---------------------------------------------------------------------------------------

    def is_private(self, story: str) -> bool:
        return any(fnmatch.fnmatchcase(story, pattern) for pattern in self.settings.private_stories)

    def ingest_bytes(self, value: bytes | None, kafka_ts: int) -> Record | None:
        """Parse a ``newswire.entries`` value and ingest it; a bad record is counted and skipped."""
        try:
            if value is None:
                raise BadRecord("empty value")
            try:
                entry = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise BadRecord(f"not JSON: {exc}") from None
            return self.ingest(entry, kafka_ts, raw=value)
        except BadRecord:
            self.counters.bad_records += 1
            raise

    def ingest(self, entry: Any, kafka_ts: int | None = None, raw: bytes | None = None) -> Record | None:
        """Add one processed entry to history and queue it for its channels; None when a duplicate.
        ``raw``: the entry's JSON as read, which frames are spliced around."""
        ts = kafka_ts if kafka_ts is not None else int(self.clock() * 1000)
        story = entry.get("story") if isinstance(entry, dict) else None
        rec = record_from_entry(entry, next(self._arrivals), ts,
                                self.is_private(story) if isinstance(story, str) else False, raw)
        history = self.stories.get(rec.story)
        if history is None:
            history = self.stories[rec.story] = StoryHistory(
                rec.story, self.settings.history_max_entries, int(self.settings.history_max_age_s * 1000))
        outcome = history.accept(rec)
        if outcome == "duplicate":
            self.counters.duplicates += 1
            return None
        self.counters.ingested += 1
        story_channel = self.channels.get("story:" + rec.story)
        if outcome == "new-epoch":
            self.counters.epoch_changes += 1
            if story_channel is not None and story_channel.subscribers:
                # shared by every subscriber and queued before the entry, so it arrives first
                if not story_channel.pending:
                    self.dirty_channels.append(story_channel)
                story_channel.pending.append(
                    orjson.dumps(self._resync(story_channel.name, "epoch_changed", rec.epoch, 0)))
        self._queue(story_channel, rec)
        self._queue(self.channels.get("all"), rec)
        if not rec.private:
            for name in rec.names:
                self._queue(self.channels.get(name), rec)
            for prefix, channel in self.prefix_channels.items():
                if rec.story.startswith(prefix):
                    self._queue(channel, rec)
        return rec

    def _queue(self, channel: Channel | None, rec: Record) -> None:
        if channel is None or not channel.subscribers:
            return
        if not channel.pending:
            self.dirty_channels.append(channel)
        channel.pending.append(rec.frame(channel.name))
        channel.pending_records.append(rec)

    def matches(self, channel: Channel, rec: Record) -> bool:
        """Whether ``rec`` belongs to ``channel`` (used for replays; live fan-out indexes instead)."""
        if channel.kind == "story":
            return rec.story == channel.arg
        if channel.kind == "all":
            return True
        if rec.private:
            return False
        if channel.kind == "prefix":
            return rec.story.startswith(channel.arg)
        return channel.name in rec.names

    # ---- sessions --------------------------------------------------------------------------------------

    def open_session(self, kind: str = "ws") -> Session:
        now = self.clock()
        session = Session(next(self._session_ids), now, kind=kind, last_seen=now, rate_window=now)
        self.sessions.add(session)
        return session

    def close_session(self, session: Session) -> None:
        """Forget a connection (it closed or is being closed)."""
        for name in list(session.channels):
            self._leave(session, name)
        session.joins.clear()
        self.sessions.discard(session)
        self.dirty_sessions.discard(session)

    def request_close(self, session: Session, code: int, reason: str) -> None:
        """Stop sending to ``session`` and ask the I/O layer to close it with ``code``."""
        if session.close is None:
            session.close = (code, reason[:120])
            for name in list(session.channels):
                self._leave(session, name)
            session.joins.clear()
            self.dirty_sessions.add(session)

    def receive(self, session: Session, data: str | bytes) -> None:
        """Handle one client text message; replies and errors land in ``session.outbox``."""
        if session.close is not None:
            return
        now = self.clock()
        session.last_seen = now
        if not self._within_rate(session, now):
            return
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._error(session, "bad_json", "messages are JSON objects")
        if not isinstance(decoded, dict):
            return self._error(session, "bad_message", "messages are JSON objects with a type")
        try:  # the message models of newswire.schemas.ws are the one definition of what a client may send
            msg = CLIENT_MESSAGE.validate_python(decoded)
        except ValidationError as exc:
            return self._invalid(session, decoded, exc)
        if isinstance(msg, Subscribe):
            self._subscribe(session, msg)
        elif isinstance(msg, Unsubscribe):
            self._unsubscribe(session, msg)
        elif isinstance(msg, Auth):
            if self.authenticate(session, msg.token):
                self._send(session, {"type": "authenticated", "exp": session.token_exp})
        elif isinstance(msg, Ping):
            reply: dict[str, Any] = {"type": "pong", "ts": int(now * 1000)}
            if "id" in decoded:
                reply["id"] = msg.id
            self._send(session, reply)

    def _invalid(self, session: Session, decoded: dict[str, Any], exc: ValidationError) -> None:
        """The error for a message its model refuses: which field, and why."""
        error = exc.errors()[0]
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            return self._error(session, "unknown_type", f"unknown message type {str(decoded.get('type'))[:40]!r}: "
                                                        "use subscribe, unsubscribe, auth or ping")
        where = ".".join(str(part) for part in error["loc"][1:])  # the first part is the message type
        channel = decoded.get("channel") if isinstance(decoded.get("channel"), str) else None
        code = "bad_since" if where.startswith("since") else "bad_message"
        extra = {"channel": channel[:80]} if channel else {}
        self._error(session, code, f"{decoded.get('type')}: {where or 'message'}: {error['msg']}"[:300], **extra)

    def reject_binary(self, session: Session) -> None:
        self.request_close(session, CLOSE_BAD_DATA, "binary frames are not supported: send JSON text")

    def authenticate(self, session: Session, token: str) -> bool:
        """Check a JWT (HS256, ``exp`` required, ``channels`` scopes); an error message when refused."""
        if not self.settings.jwt_key:
            self._error(session, "token_invalid", "this gateway accepts no tokens (no key configured)")
            return False
        try:
            # expiry is checked against the hub's clock below, so tests and production agree on "now"
            claims = jwt.decode(token, self.settings.jwt_key, algorithms=["HS256"],
                                options={"require": ["exp"], "verify_exp": False})
            exp = float(claims["exp"])
        except (jwt.InvalidTokenError, TypeError, ValueError) as exc:
            self._error(session, "token_invalid", f"the token is not valid: {exc}")
            return False
        if exp <= self.clock():
            self._error(session, "token_expired", "the token has expired")
            return False
        scopes = claims.get("channels", [])
        if isinstance(scopes, str):
            scopes = [scopes]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            self._error(session, "token_invalid", "the token's channels claim must be a list of strings")
            return False
        session.scopes = tuple(scopes)
        session.token_exp = exp
        return True

    def needs_token(self, channel: str) -> bool:
        if channel == "all":
            return True
        return channel.startswith("story:") and self.is_private(channel[6:])

    def allowed(self, session: Session, channel: str) -> bool:
        if not self.needs_token(channel):
            return True
        if session.token_exp is None or session.token_exp <= self.clock():
            return False
        return any(fnmatch.fnmatchcase(channel, scope) for scope in session.scopes)

    def _within_rate(self, session: Session, now: float) -> bool:
        if now - session.rate_window >= 1.0:
            session.rate_window, session.rate_count = now, 0
        session.rate_count += 1
        limit = self.settings.max_messages_per_s
        if session.rate_count <= limit:
            return True
        if session.rate_count > 2 * limit:
            self.request_close(session, CLOSE_FLOOD, f"more than {2 * limit:g} messages per second")
        elif session.rate_count == int(limit) + 1:
            self._error(session, "rate_limited",
                        f"at most {limit:g} messages per second; extra ones are dropped")
        return False

    def _subscribe(self, session: Session, msg: Subscribe) -> None:
        name = msg.channel
        try:
            kind, arg = parse_channel(name)
        except ValueError as exc:
            return self._error(session, "unknown_channel", str(exc), channel=name[:80])
        since, epoch = msg.since, msg.epoch
        if not self._valid_since(kind, since):
            return self._error(session, "bad_since",
                               "since is a seq (integer ≥ 0) for story channels, and 0 or an object "
                               "{story: seq} for the others", channel=name)
        if msg.token is not None and not self.authenticate(session, msg.token):
            return
        if not self.allowed(session, name):
            return self._error(session, "forbidden", f"channel {name} needs a valid token that grants it",
                               channel=name)
        if name in session.channels or any(j[0].name == name for j in session.joins):
            self._leave(session, name)
            session.joins = [j for j in session.joins if j[0].name != name]
        if len(session.channels) + len(session.joins) >= self.settings.max_channels:
            return self._error(session, "too_many_channels",
                               f"at most {self.settings.max_channels} channels per connection", channel=name)
        channel = self._register(Channel(name, kind, arg))
        session.joins.append((channel, since, epoch))
        self.dirty_sessions.add(session)

    @staticmethod
    def _valid_since(kind: str, since: int | dict[str, int] | None) -> bool:
        """What the model cannot say: a seq only for story channels, a cursor or 0 for the others."""
        if since is None:
            return True
        if isinstance(since, int):
            return kind == "story" or since == 0
        return kind != "story"

    def _unsubscribe(self, session: Session, msg: Unsubscribe) -> None:
        name = msg.channel
        joined = any(j[0].name == name for j in session.joins)
        if name not in session.channels and not joined:
            return self._error(session, "not_subscribed", f"not subscribed to {name[:80]}", channel=name[:80])
        session.joins = [j for j in session.joins if j[0].name != name]
        self._leave(session, name)
        self._send(session, {"type": "unsubscribed", "channel": name})

    def _leave(self, session: Session, name: str) -> None:
        channel = session.channels.pop(name, None)
        if channel is None:
            return
        channel.subscribers.discard(session)
        if self.channels.get(name) is channel:
            self._drop_if_empty(channel)

    def _join(self, session: Session, channel: Channel, since: Any, epoch: str | None) -> None:
        """Answer a subscribe: ``subscribed``, the replay (or a ``resync``), then live entries."""
        channel = self._register(channel)
        if channel.kind == "story":
            history = self.stories.get(channel.arg)
            latest = history.latest if history else 0
            current = history.epoch if history else None
            replay, problem = self._story_replay(history, since, epoch)
            reply: dict[str, Any] = {"type": "subscribed", "channel": channel.name, "epoch": current,
                                     "seq": latest}
        else:
            replay, problem = self._aggregate_replay(channel, since)
            reply = {"type": "subscribed", "channel": channel.name, "epoch": None, "seq": 0}
        if since is not None:
            reply["recovered"] = problem is None
            if problem is None:
                self.counters.recovered += 1
            else:
                self.counters.not_recovered += 1
        self._send(session, reply)
        if problem is not None:
            history = self.stories.get(channel.arg) if channel.kind == "story" else None
            self._send(session, self._resync(channel.name, problem, history.epoch if history else None,
                                             history.latest if history else None))
        for rec in replay:
            session.outbox.append(rec.frame(channel.name))
        channel.subscribers.add(session)
        session.channels[channel.name] = channel

    def _story_replay(self, history: StoryHistory | None, since: Any,
                      epoch: str | None) -> tuple[list[Record], str | None]:
        """Records a story subscriber missed, or (what can be replayed, the reason resume failed)."""
        if since is None:
            return [], None
        if history is None or history.epoch is None:
            return [], (None if since == 0 else "unknown_position")
        if epoch is not None and epoch != history.epoch:
            return [], "epoch_changed"
        if since == 0:
            return list(history.records), None  # everything held (the first seq shows what aged out)
        if since > history.latest:
            return [], "since_ahead"
        if since + 1 < history.first_seq():
            return [], "history_too_short"
        return history.after(since), None

    def _aggregate_replay(self, channel: Channel, since: Any) -> tuple[list[Record], str | None]:
        """Replay for tag/place/person/prefix/all: since 0 is everything held; a {story: seq} map resumes."""
        if since is None:
            return [], None
        cursors: dict[str, int] = since if isinstance(since, dict) else {}
        out: list[Record] = []
        problem = None
        for story, history in self.stories.items():
            cursor = cursors.get(story, 0)
            if cursor > history.latest:
                problem = "since_ahead"
                continue
            if cursor > 0 and cursor + 1 < history.first_seq():
                problem = "history_too_short"
            out.extend(r for r in history.after(cursor) if self.matches(channel, r))
        if problem is not None:
            return [], problem  # the client resubscribes with since 0 rather than patch a partial replay
        out.sort(key=lambda r: r.n)
        return out, problem

    def _resync(self, channel: str, reason: str, epoch: str | None, seq: int | None) -> dict[str, Any]:
        return {"type": "resync", "channel": channel, "reason": reason, "epoch": epoch, "seq": seq}

    def _send(self, session: Session, message: dict[str, Any]) -> None:
        session.outbox.append(orjson.dumps(message))
        self.dirty_sessions.add(session)

    def _error(self, session: Session, code: str, message: str, **extra: Any) -> None:
        self.counters.errors_sent[code] = self.counters.errors_sent.get(code, 0) + 1
        self._send(session, {"type": "error", "code": code, "message": message, **extra})

    # ---- time and output -------------------------------------------------------------------------------

    def housekeeping(self) -> list[Session]:
        """Close idle sessions and private subscriptions whose token expired; return the sessions to close."""
        now = self.clock()
        closing = []
        for session in list(self.sessions):
            if session.close is not None:
                continue
            if session.kind == "ws" and now - session.last_seen > self.settings.idle_timeout_s:
                self.request_close(session, CLOSE_IDLE,
                                   f"nothing received for {self.settings.idle_timeout_s:g} s")
            elif session.token_exp is not None and session.token_exp <= now and any(
                    self.needs_token(name) for name in session.channels):
                self.request_close(session, CLOSE_TOKEN_EXPIRED,
                                   "token expired: refresh it with an auth message")
            else:
                continue
            closing.append(session)
        for history in self.stories.values():
            history.trim(int(now * 1000))
        return closing

    @property
    def has_pending(self) -> bool:
        return bool(self.dirty_channels or self.dirty_sessions)

    def flush(self) -> Flush:
        """Take everything due: channel batches for current subscribers, then joins and session outboxes.

        The caller must write ``batches`` before any outbox of the same flush.
        """
        batches = []
        for channel in self.dirty_channels:
            if channel.pending:
                batches.append((channel, list(channel.subscribers), channel.pending, channel.pending_records))
                channel.pending, channel.pending_records = [], []
            if not channel.subscribers and self.channels.get(channel.name) is channel:
                self._drop_if_empty(channel)
        self.dirty_channels = []
        sessions = []
        for session in self.dirty_sessions:
            if session.close is None:
                joins, session.joins = session.joins, []
                for channel, since, epoch in joins:
                    self._join(session, channel, since, epoch)
            if session.outbox or session.close is not None:
                sessions.append((session, session.outbox))
                session.outbox = []
        self.dirty_sessions = set()
        return Flush(batches, sessions)

    def _drop_if_empty(self, channel: Channel) -> None:
        if not channel.subscribers and not channel.pending:
            self.channels.pop(channel.name, None)
            if channel.kind == "prefix":
                self.prefix_channels.pop(channel.arg, None)

    def _register(self, channel: Channel) -> Channel:
        """The live channel of that name (a dropped one is registered again)."""
        current = self.channels.get(channel.name)
        if current is None:
            current = self.channels[channel.name] = channel
            if channel.kind == "prefix":
                self.prefix_channels[channel.arg] = channel
        return current

    def viewers(self) -> dict[str, int]:
        """Connections per story channel (what /stats shows)."""
        return {ch.arg: len(ch.subscribers) for ch in self.channels.values()
                if ch.kind == "story" and ch.subscribers}

    def subscribers_per_channel(self) -> Iterable[tuple[str, int]]:
        return ((ch.name, len(ch.subscribers)) for ch in self.channels.values())
