"""Websocket (and SSE) messages of the gateway: JSON text frames.

Client → server: :class:`Subscribe`, :class:`Unsubscribe`.
Server → client: :class:`Subscribed`, :class:`EntryMessage`, :class:`Resync`, :class:`Error`.

``EntryMessage`` frames are built on the hot path by :func:`entry_frame` (one orjson call per
event, shared by every subscriber); the model documents the same shape.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from .model import Entry, Op

__all__ = ["Subscribe", "Unsubscribe", "Subscribed", "EntryMessage", "Resync", "Error", "entry_frame"]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Subscribe(_Msg):
    type: Literal["subscribe"]
    channel: str = Field(min_length=1, max_length=300)
    since: int | None = Field(None, ge=0, description="last seq seen; 0 replays the whole history")


class Unsubscribe(_Msg):
    type: Literal["unsubscribe"]
    channel: str = Field(min_length=1, max_length=300)


class Subscribed(_Msg):
    type: Literal["subscribed"] = "subscribed"
    channel: str
    epoch: str | None
    seq: int = Field(description="latest seq the gateway holds for the channel (0: none yet)")


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
