"""Kafka topic names (public contract: downstream services read these)."""

RAW = "newswire.entries.raw"
ENTRIES = "newswire.entries"
DLQ = "newswire.entries.dlq"

ALL = (RAW, ENTRIES, DLQ)

#: Optional ninjs view of every entry (IPTC News in JSON), written when NEWSWIRE_PROCESSOR_NINJS_TOPIC=true.
#: Not in ALL: it exists only where that setting is on.
NINJS = "newswire.entries.ninjs"
