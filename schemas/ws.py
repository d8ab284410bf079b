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

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from .model import Entry, Op

__all__ = ["Subscribe", "Unsubscribe", "Auth", "Ping", "Subscribed", "Unsubscribed", "EntryMessage", "Resync",
           "Authenticated", "Pong", "Error", "entry_frame"]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


def entry_frame(channel: str, entry: dict[str, Any]) -> bytes:
    """Serialise an entry message once; ``type``, ``seq`` and ``ts`` come first (within 256 bytes)."""
    return orjson.dumps(
        {
            "type": "entry",
            "seq": entry["seq"],
            "ts": entry["ts"],
            "channel": channel,
            "epoch": entry["epoch"],
            "op": entry["op"],
            "entry": entry,
        }
    )
