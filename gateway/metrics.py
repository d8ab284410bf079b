"""Prometheus metrics of one gateway process (its own registry, so tests can run several servers)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .fanout import NATIVE
from .protocol import Hub

__all__ = ["GatewayMetrics"]

#: Seconds from the entry's Kafka timestamp to the socket write.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _HubCollector(Collector):
    """Reads the protocol core's state at scrape time (nothing to update on the hot path)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        hub = self.hub
        conns = GaugeMetricFamily("newswire_gateway_connections", "open client connections", labels=["transport"])
        kinds: dict[str, int] = {"ws": 0, "sse": 0}
        for session in hub.sessions:
            kinds[session.kind] = kinds.get(session.kind, 0) + 1
        for kind, count in kinds.items():
            conns.add_metric([kind], count)
        yield conns
        subs = GaugeMetricFamily("newswire_gateway_subscribers", "subscribers per channel", labels=["channel"])
        for name, count in hub.subscribers_per_channel():
            subs.add_metric([name], count)
        yield subs
        rec = CounterMetricFamily("newswire_gateway_recoveries", "subscribes with since, by outcome",
                                  labels=["result"])
        rec.add_metric(["hit"], hub.counters.recovered)
        rec.add_metric(["missed"], hub.counters.not_recovered)
        yield rec
        entries = CounterMetricFamily("newswire_gateway_entries", "records read from newswire.entries",
                                      labels=["outcome"])
        entries.add_metric(["accepted"], hub.counters.ingested)
        entries.add_metric(["duplicate"], hub.counters.duplicates)
        entries.add_metric(["bad"], hub.counters.bad_records)
        yield entries
        errors = CounterMetricFamily("newswire_gateway_errors_sent", "error messages sent to clients",
                                     labels=["code"])
        for code, count in hub.counters.errors_sent.items():
            errors.add_metric([code], count)
        yield errors
        native = GaugeMetricFamily("newswire_gateway_native_fanout",
                                   "1 when fan-out writes go through the C write loop, 0 when through Python")
        native.add_metric([], 1.0 if NATIVE else 0.0)
        yield native
        stories = GaugeMetricFamily("newswire_gateway_history_entries", "entries held in history")
        stories.add_metric([], sum(len(h.records) for h in hub.stories.values()))
        yield stories


class GatewayMetrics:
    """Counters the I/O layer updates, plus the hub's state read at scrape time."""

    def __init__(self, hub: Hub) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_HubCollector(hub))
        self.deliveries = Counter("newswire_gateway_deliveries", "entry messages written to clients",
                                  registry=self.registry)
        self.slow_client_drops = Counter("newswire_gateway_slow_client_drops",
                                         "clients closed because their output buffer passed the limit",
                                         registry=self.registry)
        self.disconnects = Counter("newswire_gateway_disconnects", "closed connections by reason",
                                   ["reason"], registry=self.registry)
        self.refused = Counter("newswire_gateway_refused_connections", "connections refused at the handshake",
                               ["reason"], registry=self.registry)
        self.flush_seconds = Histogram("newswire_gateway_flush_seconds",
                                       "time to write one step of a fan-out round (up to WRITE_SLICE clients)",
                                       buckets=LATENCY_BUCKETS, registry=self.registry)
        self.latency = Histogram("newswire_gateway_delivery_latency_seconds",
                                 "from the entry's Kafka timestamp to the write to the last subscriber of its batch",
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
