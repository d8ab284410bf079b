"""Kafka topic names (public contract: downstream services read these)."""

RAW = "newswire.entries.raw"
ENTRIES = "newswire.entries"
DLQ = "newswire.entries.dlq"

ALL = (RAW, ENTRIES, DLQ)
