"""CloudEvents headers of every newswire record (Kafka protocol binding, binary mode).

One record kind per topic: ``org.newswire.entry.raw`` on newswire.entries.raw,
``org.newswire.entry`` on newswire.entries, ``org.newswire.entry.rejected`` on the DLQ.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["CE_TYPE_RAW", "CE_TYPE_ENTRY", "CE_TYPE_REJECTED", "CE_TYPE_NEAR_DUPLICATE", "cloudevents_headers"]

CE_TYPE_RAW = "org.newswire.entry.raw"
CE_TYPE_ENTRY = "org.newswire.entry"
CE_TYPE_REJECTED = "org.newswire.entry.rejected"
#: A DLQ record of a near duplicate left out under the processor's drop policy (not a rejected record).
CE_TYPE_NEAR_DUPLICATE = "org.newswire.entry.near_duplicate"


def cloudevents_headers(event_id: str, source: str, ce_type: str, when_ms: int) -> list[tuple[str, bytes]]:
    """The ``ce_*`` headers (values UTF-8) and the content type of a JSON record."""
    ce_time = datetime.fromtimestamp(when_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", ce_type.encode()),
        ("ce_time", ce_time.encode()),
        ("content-type", b"application/json"),
    ]
