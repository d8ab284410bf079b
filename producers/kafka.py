"""The Python publisher for other services: raw entries onto ``newswire.entries.raw``.

::

    async with Publisher("127.0.0.1:9092", source="cms") as p:
        await p.publish("my-story", RawEntry(body_text="…"))

Every record is keyed by the story id and carries the CloudEvents headers of the
Kafka binding in binary mode. Idempotent with ``acks=all``; retriable errors are retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from newswire.kafka.settings import PRODUCER_DEFAULTS
from newswire.schemas import Op, RawEntry, RawEvent, encode, topics
from newswire.schemas.cloudevents import CE_TYPE_RAW, cloudevents_headers

from .ids import entry_id_for_content

__all__ = ["Publisher", "PublishError", "cloudevents_headers", "make_raw_event"]

log = logging.getLogger("newswire.publisher")

class PublishError(RuntimeError):
    """Kafka did not acknowledge a record after the retries."""


def make_raw_event(story: str, entry: RawEntry, *, op: Op = "create", source: str = "unknown",
                   now_ms: int | None = None) -> RawEvent:
    """Wrap a raw entry into the event producers publish, filling the id and time when absent."""
    ts = now_ms if now_ms is not None else int(time.time() * 1000)
    if not entry.id:
        text = entry.body_text or entry.body_html or ""
        entry = entry.model_copy(update={"id": entry_id_for_content(story, text)})
    if entry.published_at is None:
        entry = entry.model_copy(update={"published_at": datetime.fromtimestamp(ts / 1000, UTC)})
    return RawEvent(event_id=uuid.uuid4().hex, story=story, op=op, entry=entry, source=source, ts=ts)


class Publisher:
    """Publishes raw entry events to Kafka. Use as ``async with``."""

    def __init__(self, bootstrap: str, *, source: str = "newswire-publisher", topic: str = topics.RAW,
                 retries: int = 5, retry_backoff: float = 0.2, request_timeout_ms: int = 10_000,
                 **producer_options: Any) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.bootstrap = bootstrap
        self.source = source
        self.topic = topic
        self.retries = retries
        self.retry_backoff = retry_backoff
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            **PRODUCER_DEFAULTS,
            request_timeout_ms=request_timeout_ms,
            # no wait to fill a batch: records sent while one request is in flight go in the next one
            linger_ms=producer_options.pop("linger_ms", 0),
            **producer_options,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> Publisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def send_event(self, event: RawEvent) -> None:
        """Send one event and wait for Kafka's acknowledgement, retrying retriable errors."""
        value = encode(event)
        headers = cloudevents_headers(event.event_id, self.source, CE_TYPE_RAW, event.ts)
        delay = self.retry_backoff
        for attempt in range(self.retries + 1):
            try:
                await self._producer.send_and_wait(self.topic, value, key=event.story.encode(),
                                                   headers=headers)
                return
            except KafkaError as exc:
                if not getattr(exc, "retriable", False) or attempt == self.retries:
                    raise PublishError(f"Kafka did not accept event {event.event_id}: {exc!r}") from exc
                log.warning("publish of %s failed (%r), retrying in %.1f s", event.event_id, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def publish(self, story: str, entry: RawEntry, *, op: Op = "create") -> RawEvent:
        """Publish one entry; returns the event that Kafka acknowledged."""
        event = make_raw_event(story, entry, op=op, source=self.source)
        await self.send_event(event)
        return event

    async def publish_many(self, story: str, entries: Sequence[RawEntry], *, op: Op = "create", window: int = 256,
                           progress: Callable[[int], None] | None = None) -> list[RawEvent]:
        """Publish entries in order, up to ``window`` records in flight (one story is one partition, and the
        client keeps one batch in flight per partition, so Kafka keeps the order). ``progress(n)`` is called
        as each run of ``n`` records is acknowledged. A run that fails is sent again record by record with
        retries: a record that had landed is then a replay, which the processor drops."""
        events = [make_raw_event(story, entry, op=op, source=self.source) for entry in entries]
        for start in range(0, len(events), window):
            run = events[start:start + window]
            try:
                futures = [await self._producer.send(self.topic, encode(ev), key=ev.story.encode(),
                                                      headers=cloudevents_headers(ev.event_id, self.source,
                                                                                  CE_TYPE_RAW, ev.ts))
                           for ev in run]
                await asyncio.gather(*futures)
            except KafkaError as exc:
                log.warning("a run of %d records failed (%r); sending them one by one", len(run), exc)
                for ev in run:
                    await self.send_event(ev)
            if progress:
                progress(len(run))
        return events
