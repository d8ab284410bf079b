"""The wire contract: event models, topic names and the orjson codec."""

from . import topics
from .codec import SchemaError, decode, decode_dead_letter, decode_entry, decode_raw, encode
from .model import (
    SCHEMA_VERSION,
    DeadLetter,
    DeadLetterSource,
    Embed,
    Entry,
    Op,
    Organisation,
    Person,
    Place,
    Quote,
    RawEntry,
    RawEvent,
)

__all__ = [
    "SCHEMA_VERSION",
    "DeadLetter",
    "DeadLetterSource",
    "Embed",
    "Entry",
    "Op",
    "Organisation",
    "Person",
    "Place",
    "Quote",
    "RawEntry",
    "RawEvent",
    "SchemaError",
    "decode",
    "decode_dead_letter",
    "decode_entry",
    "decode_raw",
    "encode",
    "topics",
]
