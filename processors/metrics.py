"""Prometheus metrics of the processor worker."""

from prometheus_client import Counter, Histogram

PROCESSED = Counter("newswire_processor_entries_total", "Entries emitted to newswire.entries, by op", ["op"])
REJECTED = Counter("newswire_processor_rejected_total", "Raw records sent to the dead-letter topic")
DROPPED = Counter("newswire_processor_dropped_total", "Raw events dropped as duplicates, by kind", ["reason"])
STAGE_SECONDS = Histogram(
    "newswire_processor_stage_seconds", "Time spent per entry in each stage", ["stage"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)
