"""Prometheus metrics of the processor worker (served by ``newswire processor --metrics-port N``)."""

from prometheus_client import Counter, Gauge, Histogram

PROCESSED = Counter("newswire_processor_entries_total", "Entries emitted to newswire.entries, by op", ["op"])
REJECTED = Counter("newswire_processor_rejected_total", "Raw records sent to the dead-letter topic")
DUPLICATES = Counter(
    "newswire_processor_duplicates_total",
    "Raw events dropped, by kind: replay, deleted, unknown_delete, near_duplicate", ["kind"],
)
NEAR_DUPLICATE_CHECKS = Counter(
    "newswire_processor_near_duplicate_checks_total",
    "New entries with near-duplicate candidates, by verdict: same (repeats an earlier entry), news (differs in "
    "something that carries news, delivered as it is)", ["verdict"],
)
MARKED_DUPLICATES = Counter(
    "newswire_processor_marked_duplicates_total", "Entries delivered marked with duplicate_of (the mark policy)",
)
STAGE_SECONDS = Histogram(
    "newswire_processor_stage_seconds",
    "Time spent per emitted entry in each stage: validate (decode, schema), normalise (with fingerprint, version and "
    "the entry built), dedup (near-duplicate signature and comparison), enrich",
    ["stage"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)
LATENCY_SECONDS = Histogram(
    "newswire_processor_latency_seconds", "From the raw event's ts (producer clock) to its entry being sent",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WAIT_SECONDS = Histogram(
    "newswire_processor_wait_seconds",
    "From a raw record's Kafka timestamp to the worker taking it: the broker hop, the consumer and the batch window, "
    "before any rule runs",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
LAG = Gauge(
    "newswire_processor_consumer_lag", "Raw records not yet processed per assigned partition (highwater - position)",
    ["partition"],
)
REBUILT = Counter(
    "newswire_processor_state_records_read_total", "Entries read back from newswire.entries to rebuild state",
)
