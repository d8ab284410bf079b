"""orjson encode/decode for the event model, raising one :class:`SchemaError` for any bad input."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from .model import DeadLetter, Entry, RawEvent

__all__ = ["SchemaError", "encode", "decode", "decode_raw", "decode_entry", "decode_dead_letter", "error_paths"]

M = TypeVar("M", bound=BaseModel)

#: Deeper JSON than this is refused before parsing into models (a live-blog entry is shallow).
MAX_DEPTH = 32


class SchemaError(ValueError):
    """Bytes that are not a valid event: not UTF-8, not JSON, or not the schema.

    ``errors`` lists ``(field path, message)`` pairs, e.g. ``("entry.published_at", "Input should be…")``.
    """

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def encode(event: BaseModel) -> bytes:
    """Serialise a model to compact JSON bytes, dropping nothing (None fields included)."""
    return orjson.dumps(event.model_dump(mode="json"))


def error_paths(exc: ValidationError) -> list[tuple[str, str]]:
    """Field paths and messages of a pydantic error, with paths as dotted strings (``embeds.0.text``)."""
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "(root)"
        out.append((path, err["msg"]))
    return out


def _depth(obj: Any, limit: int) -> int:
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def _may_be_deeper_than(raw: bytes, limit: int) -> bool:
    """False when the text has too few brackets to nest past ``limit`` (most records): no walk needed."""
    return raw.count(b"[") + raw.count(b"{") > limit


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise SchemaError(f"duplicate key {key!r} in a JSON object")
        seen[key] = value
    return seen


def _check_duplicate_keys(text: str) -> None:
    """orjson keeps the last of two equal keys silently; a forged or broken record must not pass that way.
    The standard library's parser reports each object's pairs, so a second pass finds them."""
    json.loads(text, object_pairs_hook=_refuse_duplicate_keys)


def loads(data: bytes | str) -> Any:
    """Parse JSON (bytes must be UTF-8), raising SchemaError with a readable reason
    (malformed JSON, invalid UTF-8, duplicate keys, nesting deeper than MAX_DEPTH)."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SchemaError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SchemaError(f"malformed JSON: {exc}") from None
    # one bytes form for the checks below (orjson has already refused text that would not encode)
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if _may_be_deeper_than(raw, MAX_DEPTH) and _depth(obj, MAX_DEPTH) > MAX_DEPTH:
        raise SchemaError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, dict | list) and not _is_compact_form(obj, raw):
        _check_duplicate_keys(text)
    return obj


def _is_compact_form(obj: Any, raw: bytes) -> bool:
    """Whether ``raw`` is exactly orjson's own serialisation of ``obj``, as every record newswire writes is.
    Then it has no duplicate key (a dropped duplicate would make the serialisation shorter), and the slower
    second parse is not needed; anything else (spaces, escapes, other writers) takes that parse."""
    return orjson.dumps(obj) == raw


def validate(model: type[M], obj: Any) -> M:
    """Build ``model`` from parsed JSON, raising SchemaError with field paths."""
    if not isinstance(obj, dict):
        raise SchemaError(f"expected a JSON object, got {type(obj).__name__}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        errors = error_paths(exc)
        summary = "; ".join(f"{p}: {m}" for p, m in errors[:5])
        raise SchemaError(f"schema: {summary}", errors) from None


def decode(model: type[M], data: bytes | str) -> M:
    """Parse and validate bytes as ``model``."""
    return validate(model, loads(data))


def decode_raw(data: bytes | str) -> RawEvent:
    return decode(RawEvent, data)


def decode_entry(data: bytes | str) -> Entry:
    return decode(Entry, data)


def decode_dead_letter(data: bytes | str) -> DeadLetter:
    return decode(DeadLetter, data)
