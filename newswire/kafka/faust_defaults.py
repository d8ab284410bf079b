"""newswire's client defaults for the aiokafka clients that faust makes inside a processor worker.

faust builds its producer and its worker consumer itself and exposes neither setting newswire needs:

- an idempotent producer with ``acks=all`` (faust asks for one only in its exactly-once mode, which
  has open bugs); :data:`~newswire.kafka.settings.PRODUCER_DEFAULTS`;
- the consumer's fetch wait, which faust fixes at 1,500 ms. aiokafka leaves a partition whose
  records are still buffered out of the next fetch request, and the broker then holds that request
  for the whole wait when the other partitions have nothing: a record arriving on the left-out
  partition waits up to that long (see :data:`~newswire.kafka.settings.KafkaSettings.fetch_max_wait_ms`).

Both are set by wrapping the two factory methods of faust's aiokafka driver, once per process.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

from newswire.kafka.settings import PRODUCER_DEFAULTS, KafkaSettings

__all__ = ["apply_faust_defaults"]


def apply_faust_defaults(kafka: KafkaSettings) -> None:
    """Make faust's producer idempotent (acks=all) and its worker consumer fetch with ``kafka.fetch_max_wait_ms``."""
    producer_cls = faust_aiokafka.Producer
    original_extra = getattr(producer_cls, "_newswire_original_extra", producer_cls._settings_extra)

    def extra(self: Any) -> Any:
        settings = dict(original_extra(self))
        settings.update(PRODUCER_DEFAULTS)
        return settings

    producer_cls._newswire_original_extra = original_extra  # type: ignore[attr-defined]
    producer_cls._settings_extra = extra  # type: ignore[method-assign]

    thread_cls = faust_aiokafka.AIOKafkaConsumerThread
    original_create = getattr(thread_cls, "_newswire_original_create", thread_cls._create_worker_consumer)

    def create(self: Any, transport: Any) -> Any:
        consumer = original_create(self, transport)
        consumer._fetch_max_wait_ms = kafka.fetch_max_wait_ms  # read when the consumer starts its fetcher
        return consumer

    thread_cls._newswire_original_create = original_create  # type: ignore[attr-defined]
    thread_cls._create_worker_consumer = create  # type: ignore[method-assign]
