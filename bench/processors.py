"""Processor worker benchmark on the embedded broker: throughput with full enrichment, paced latency.

    python bench/processors.py [--entries N] [--rate R] [--seconds S] [--partitions P]

Starts an embedded broker and one worker (``newswire processor`` subprocess), warms it up, then:

1. throughput: produces N varied raw entries (many stories, 300-1500 characters of text with
   people, places, organisations and quotes) at full speed and reports entries/s from the first
   to the last output record (Kafka timestamps of newswire.entries, set when the worker sends);
2. latency: produces at R entries/s for S seconds and reports per-entry latency p50/p99,
   as the output record's timestamp minus the raw event's ``ts`` (processing, including the
   raw fetch) and as receive time minus ``ts`` (what a consumer of newswire.entries sees).

Targets (2 cores): >= 5,000 entries/s per worker, p99 < 50 ms at 500 entries/s. The default run
takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from newswire.broker import EmbeddedBroker, ensure_topics, wait_for_metadata
from newswire.producers.kafka import make_raw_event
from newswire.schemas import RawEntry, encode, topics

PEOPLE = ["Vladimir Putin", "Dmitry Peskov", "Sergey Lavrov", "Bashar al-Assad", "John Kirby", "Olaf Scholz",
          "Emmanuel Macron", "Ursula von der Leyen", "Antony Blinken", "Recep Tayyip Erdogan", "Keir Starmer"]
TITLES = ["President", "Foreign Minister", "spokesman", "Chancellor", "Prime Minister", "Secretary of State"]
PLACES = ["Syria", "Russia", "Geneva", "Moscow", "Damascus", "Latakia", "Paris", "Berlin", "London", "Ankara",
          "Brussels", "Washington", "Beirut", "Aleppo", "Kyiv", "Warsaw"]
ORGS = ["the United Nations", "NATO", "the European Union", "the Defence Ministry", "Reuters", "the Kremlin",
        "the High Negotiations Committee", "the World Health Organization"]
VERBS = ["said", "told reporters", "added", "warned", "noted"]
FACTS = ["talks would resume next week", "the convoy reached the border crossing overnight",
         "the ceasefire was largely holding", "aid deliveries had been delayed by the weather",
         "the withdrawal would be completed within days", "sanctions remained under review",
         "the airbase would stay operational", "negotiators had agreed on a new timetable"]


def _sentence(rng: random.Random) -> str:
    person, place, org = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(ORGS)
    fact = rng.choice(FACTS)
    return rng.choice([
        f'"We believe {fact}," {rng.choice(TITLES)} {person} {rng.choice(VERBS)} in {place}.',
        f"Officials in {place} confirmed that {fact}, according to {org}.",
        f"{person} met delegates from {org} in {place} on {rng.choice(['Monday', 'Tuesday', 'Friday'])}.",
        f'{person} {rng.choice(VERBS)}: "The situation in {place} is changing quickly and {fact}."',
        f"Reports from {place} suggest {fact}; {org} has not commented. #{place.replace(' ', '')}",
    ])


def _text(rng: random.Random) -> str:
    target = rng.randint(300, 1500)
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < target:
        parts.append(_sentence(rng))
    return " ".join(parts)


def raw_entries(count: int, seed: int, stories: int = 200) -> list[tuple[bytes, RawEntry, str]]:
    """``count`` distinct raw entries spread over ``stories`` stories."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        story = f"bench-{seed}-{number % stories}"
        made.append((story.encode(), RawEntry(id=f"s{seed}-e{number}", body_text=_text(rng)), story))
    return made


def _encode(story: str, entry: RawEntry) -> bytes:
    return encode(make_raw_event(story, entry, source="bench"))


class Output:
    """Reads newswire.entries from its current end, collecting (kafka timestamp ms, receive ms, raw ts ms)."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(topics.ENTRIES, bootstrap_servers=bootstrap, group_id=None,
                                         auto_offset_reset="latest", fetch_max_wait_ms=10)
        self.seen: list[tuple[int, float, int]] = []

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.seek_to_end()

    async def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.seen)} of {count} entries came out within {timeout:.0f} s")
            batch = await self.consumer.getmany(timeout_ms=200, max_records=10_000)
            received = time.time() * 1000
            for records in batch.values():
                for record in records:
                    self.seen.append((record.timestamp, received, orjson.loads(record.value)["ts"]))


def _percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=1000)[int(fraction * 1000) - 1] if len(values) > 1 else values[0]


def _start_worker(bootstrap: str, logs: Path) -> subprocess.Popen[bytes]:
    ready = logs / "worker.ready"
    env = {**os.environ, "NEWSWIRE_PROCESSOR_GROUP": f"bench-{os.getpid()}"}
    worker = subprocess.Popen([sys.executable, "-m", "newswire.cli", "--log-level", "WARNING", "processor",
                               "--bootstrap", bootstrap, "--ready-file", str(ready)],
                              stdout=(logs / "worker.log").open("wb"), stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("worker did not start:\n" + (logs / "worker.log").read_text()[-2000:])
        time.sleep(0.1)
    return worker


async def _measure(args: argparse.Namespace, bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    output = Output(bootstrap)
    try:
        await producer.start()
        await output.start()

        warm = raw_entries(500, seed=1)
        for key, entry, story in warm:
            await producer.send(topics.RAW, key=key, value=_encode(story, entry))
        await producer.flush()
        await output.wait_for(len(warm), 60)
        output.seen.clear()

        entries = raw_entries(args.entries, seed=2)
        values = [(key, _encode(story, entry)) for key, entry, story in entries]
        chars = statistics.mean(len(entry.body_text or "") for _, entry, _ in entries)
        for key, value in values:
            await producer.send(topics.RAW, key=key, value=value)
        await producer.flush()
        await output.wait_for(len(values), 120)
        stamps = [kafka_ms for kafka_ms, _, _ in output.seen]
        span = (max(stamps) - min(stamps)) / 1000
        print(f"throughput: {len(values)} entries (mean {chars:.0f} characters), one worker, "
              f"{args.partitions} partitions: {len(values) / span:,.0f} entries/s "
              f"(first to last output record, {span:.2f} s)")
        output.seen.clear()

        paced = raw_entries(int(args.rate * args.seconds), seed=3)
        started = time.monotonic()
        for number, (key, entry, story) in enumerate(paced):
            delay = started + number / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await producer.send(topics.RAW, key=key, value=_encode(story, entry))  # ts = now, at send
        await producer.flush()
        await output.wait_for(len(paced), 60)
        processing = [float(kafka_ms - raw_ts) for kafka_ms, _, raw_ts in output.seen]
        delivered = [received - raw_ts for _, received, raw_ts in output.seen]
        print(f"latency at {args.rate:.0f} entries/s for {args.seconds:.0f} s ({len(paced)} entries):")
        print(f"  raw ts -> entry sent by the worker:   p50 {_percentile(processing, 0.5):6.1f} ms   "
              f"p99 {_percentile(processing, 0.99):6.1f} ms")
        print(f"  raw ts -> entry received by a reader: p50 {_percentile(delivered, 0.5):6.1f} ms   "
              f"p99 {_percentile(delivered, 0.99):6.1f} ms")
    finally:
        await producer.stop()
        await output.consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries for the throughput run")
    parser.add_argument("--rate", type=float, default=500.0, help="entries/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-processors-") as tmp:
        logs = Path(tmp)
        broker = EmbeddedBroker(log_path=logs / "broker.log")
        broker.spawn()
        worker = None
        try:
            asyncio.run(wait_for_metadata(broker.bootstrap, 30))
            asyncio.run(ensure_topics(broker.bootstrap, topics.ALL, args.partitions))
            worker = _start_worker(broker.bootstrap, logs)
            asyncio.run(_measure(args, broker.bootstrap))
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            broker.stop()


if __name__ == "__main__":
    main()
