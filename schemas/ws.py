"""Websocket (and SSE) messages of the gateway: JSON text frames.

Client → server: :class:`Subscribe`, :class:`Unsubscribe`, :class:`Auth`, :class:`Ping`.
Server → client: :class:`Subscribed`, :class:`Unsubscribed`, :class:`EntryMessage`, :class:`Resync`,
:class:`Authenticated`, :class:`Pong`, :class:`Error`.

Channels: ``story:ID`` (resumes by seq), ``tag:NAME``, ``place:NAME``, ``person:NAME``,
``prefix:P`` and ``all`` (resume by a ``{story: seq}`` cursor); see docs/gateway.md.

``EntryMessage`` frames are built on the hot path by :func:`entry_frame` (one orjson call per
event, shared by every subscriber); the model documents the same shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, TypeAdapter

from .model import Entry, Op

__all__ = ["Subscribe", "Unsubscribe", "Auth", "Ping", "ClientMessage", "CLIENT_MESSAGE", "Subscribed",
           "Unsubscribed", "EntryMessage", "Resync", "Authenticated", "Pong", "Error", "entry_frame",
           "CLOSE_BAD_DATA", "CLOSE_IDLE", "CLOSE_TOKEN_EXPIRED", "CLOSE_SLOW", "CLOSE_FLOOD", "CLOSE_REASONS"]

#: Close codes the gateway sends, with the reason word its metrics use. 1009 (frame too big) and 1006 (the
#: connection dropped) come from the websocket layer.
CLOSE_BAD_DATA = 1003  # a binary frame: the protocol is JSON text
CLOSE_IDLE = 4000  # nothing received for idle_timeout_s
CLOSE_TOKEN_EXPIRED = 4001  # the token behind a private subscription expired and was not refreshed
CLOSE_SLOW = 4008  # unsent output passed max_buffer_bytes: the client reads too slowly
CLOSE_FLOOD = 4029  # far more messages per second than max_messages_per_s
CLOSE_REASONS = {CLOSE_BAD_DATA: "binary", CLOSE_IDLE: "idle", CLOSE_TOKEN_EXPIRED: "token_expired",
                 CLOSE_SLOW: "slow", CLOSE_FLOOD: "flood"}


class _Msg(BaseModel):
    # strict: a client's "5" is not the seq 5, nor its true the seq 1
    model_config = ConfigDict(extra="forbid", strict=True)


class Subscribe(_Msg):
    type: Literal["subscribe"]
    channel: str = Field(min_length=1, max_length=300)
    since: NonNegativeInt | dict[str, NonNegativeInt] | None = Field(
        None, description="story channels: the last seq seen (0 replays the whole history); "
                          "other channels: 0 or a {story: last seq seen} cursor")
    epoch: str | None = Field(None, description="story channels: the epoch that `since` belongs to")
    token: str | None = Field(None, description="JWT granting a private channel")


class Unsubscribe(_Msg):
    type: Literal["unsubscribe"]
    channel: str = Field(min_length=1, max_length=300)


class Auth(_Msg):
    """Present or refresh a token on the open connection (before the old one expires)."""

    type: Literal["auth"]
    token: str


class Ping(_Msg):
    """Application-level ping: browsers cannot see protocol pings."""

    type: Literal["ping"]
    id: str | int | None = None


#: What a client may send, told apart by ``type``.
ClientMessage = Annotated[Subscribe | Unsubscribe | Auth | Ping, Field(discriminator="type")]
#: Validates a decoded client message, as the gateway does.
CLIENT_MESSAGE: TypeAdapter[Subscribe | Unsubscribe | Auth | Ping] = TypeAdapter(ClientMessage)


class Subscribed(_Msg):
    type: Literal["subscribed"] = "subscribed"
    channel: str
    epoch: str | None
    seq: int = Field(description="latest seq the gateway holds for the channel (0: none yet)")
    recovered: bool | None = Field(
        None, description="present when `since` was given: true, every entry after it follows; false, a resync follows")


class Unsubscribed(_Msg):
    type: Literal["unsubscribed"] = "unsubscribed"
    channel: str


class Authenticated(_Msg):
    type: Literal["authenticated"] = "authenticated"
    exp: int | float = Field(description="when the token expires, epoch seconds")


class Pong(_Msg):
    type: Literal["pong"] = "pong"
    id: str | int | None = None
    ts: int = Field(description="server time, epoch milliseconds")


class EntryMessage(_Msg):
    type: Literal["entry"] = "entry"
    seq: int
    ts: int = Field(description="when the producer published the entry, epoch milliseconds")
    channel: str
    epoch: str
    op: Op
    entry: Entry


class Resync(_Msg):
    type: Literal["resync"] = "resync"
    channel: str
    reason: str
    epoch: str | None = None
    seq: int | None = None


class Error(_Msg):
    type: Literal["error"] = "error"
    code: str
    message: str
    channel: str | None = None


def entry_frame(channel: str, entry: dict[str, Any], raw: bytes | None = None) -> bytes:
    """An entry message; ``type``, ``seq`` and ``ts`` come first (within 256 bytes, for load generators).

    With ``raw``, the entry's JSON as it came from ``newswire.entries``, the frame is spliced around those
    bytes instead of encoding the entry again: the same message, without a second encoding of every entry
    for every channel it goes to."""
    if raw is None:
        return orjson.dumps({"type": "entry", "seq": entry["seq"], "ts": entry["ts"], "channel": channel,
                             "epoch": entry["epoch"], "op": entry["op"], "entry": entry})
    return b"".join((b'{"type":"entry","seq":', b"%d" % entry["seq"], b',"ts":', b"%d" % entry["ts"],
                     b',"channel":', orjson.dumps(channel), b',"epoch":', orjson.dumps(entry["epoch"]),
                     b',"op":', orjson.dumps(entry["op"]), b',"entry":', raw.strip(), b"}"))
