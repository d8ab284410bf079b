"""Processor worker benchmark on a local Apache Kafka: throughput with full enrichment, paced latency.

    python bench/processors.py [--entries N] [--rate R] [--seconds S] [--partitions P] [--workers W]

Starts a local Apache Kafka and a worker (``newswire processor`` subprocess) and warms it up
with 500 entries; then:

1. throughput: stops the worker, produces N varied raw entries (200 stories, 300-1500
   characters of text dense with people, places, organisations and quotes), starts a worker
   on that backlog and reports entries/s from the first to the last output record (Kafka
   timestamps on newswire.entries, set when the worker sends), so the producer takes no CPU
   from the measured worker, and the workers' CPU time per entry (user + system, from
   /proc, between the workers being ready and the last entry coming out): a figure that
   another benchmark running on the machine disturbs less than entries/s;
2. latency: produces at R entries/s for S seconds while reading newswire.entries, and reports
   per-entry latency p50/p99 as the output record's timestamp minus the raw event's ``ts``
   (processing, including the raw fetch) and as receive time minus ``ts`` (what a consumer
   of newswire.entries sees).

Two more figures say where a worker's time goes:

3. the rules alone: the same backlog through ``Processor.process`` and the entry's encoding in
   this process, without Kafka: CPU time per entry, split into the stages the worker's
   ``newswire_processor_stage_seconds`` reports (validate, normalise, dedup, enrich);
4. the rules switched off: the same backlog, on a fresh broker, through
   ``bench/worker_without_rules.py``, a worker that decodes, validates, builds, encodes and sends
   each entry as the real one does, without the rules: entries/s and CPU per entry are what faust,
   aiokafka, the event model and the broker leave to the rules (``--no-ceiling`` skips it).

``--workers 2`` measures two workers of one group sharing the partitions (the per-worker figure
is the default, one). Targets (2 cores): >= 5,000 entries/s per worker, p99 < 50 ms at 500
entries/s. The default run takes about a minute and a half.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from procstat import cpu_seconds

from newswire.kafka import LocalKafka, ensure_topics, topic_partitions
from newswire.processors.enrich.language import load_model as load_language_model
from newswire.processors.pipeline import Processor
from newswire.producers.kafka import make_raw_event
from newswire.schemas import DeadLetterSource, RawEntry, encode, topics

BENCH = Path(__file__).resolve().parent
#: The stages Processor reports per emitted entry (Outcome.timings), in order.
STAGES = ("validate", "normalise", "dedup", "enrich")

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
    """Reads newswire.entries, collecting (kafka timestamp ms, receive ms, raw ts ms) of entries whose id
    starts with ``prefix`` (each phase uses its own ids)."""

    def __init__(self, bootstrap: str, prefix: str, *, from_end: bool = False) -> None:
        self.bootstrap = bootstrap
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                         auto_offset_reset="earliest")
        self.prefix = prefix
        self.from_end = from_end
        self.seen: list[tuple[int, float, int]] = []

    async def start(self) -> None:
        """Assign every partition; with ``from_end``, start at the current end (a latency reader must not
        first wade through the records of earlier phases), resolved before this returns."""
        await self.consumer.start()
        partitions = sorted(await topic_partitions(self.bootstrap, topics.ENTRIES))
        tps = [TopicPartition(topics.ENTRIES, partition) for partition in partitions]
        self.consumer.assign(tps)
        if self.from_end:
            await self.consumer.seek_to_end(*tps)
            for tp in tps:
                await self.consumer.position(tp)

    async def stop(self) -> None:
        await self.consumer.stop()

    async def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.seen)} of {count} entries came out within {timeout:.0f} s")
            batch = await self.consumer.getmany(timeout_ms=200, max_records=10_000)
            received = time.time() * 1000
            for records in batch.values():
                for record in records:
                    entry = orjson.loads(record.value)
                    if entry["id"].startswith(self.prefix):
                        self.seen.append((record.timestamp, received, entry["ts"]))


async def _produce(bootstrap: str, entries: list[tuple[bytes, RawEntry, str]], rate: float | None = None) -> None:
    """Produce the entries at full speed, or paced at ``rate`` per second (``ts`` = the moment of sending)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        started = time.monotonic()
        for number, (key, entry, story) in enumerate(entries):
            if rate:
                delay = started + number / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await producer.send(topics.RAW, key=key, value=_encode(story, entry))
        await producer.flush()
    finally:
        await producer.stop()


async def _collect(bootstrap: str, prefix: str, count: int, timeout: float) -> list[tuple[int, float, int]]:
    output = Output(bootstrap, prefix)
    await output.start()
    try:
        await output.wait_for(count, timeout)
        return output.seen
    finally:
        await output.stop()


def _workers_cpu_seconds(workers: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU time the workers have used so far; a worker that exited is an error."""
    used = [cpu_seconds(worker.pid) for worker in workers]
    if None in used:
        raise RuntimeError("a processor worker exited during the run")
    return sum(u for u in used if u is not None)


def _percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=1000)[int(fraction * 1000) - 1] if len(values) > 1 else values[0]


def _spawn_worker(bootstrap: str, logs: Path, name: str, *, rules: bool = True) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSWIRE_PROCESSOR_GROUP": f"bench-{os.getpid()}"}
    command = ["-m", "newswire.cli"] if rules else [str(BENCH / "worker_without_rules.py")]
    return subprocess.Popen([sys.executable, *command, "--log-level", "WARNING", "processor",
                             "--bootstrap", bootstrap, "--ready-file", str(logs / f"{name}.ready")],
                            stdout=(logs / f"{name}.log").open("wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)


def _wait_ready(worker: subprocess.Popen[bytes], logs: Path, name: str) -> None:
    deadline = time.monotonic() + 60
    while not (logs / f"{name}.ready").exists():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("worker did not start:\n" + (logs / f"{name}.log").read_text()[-2000:])
        time.sleep(0.1)


def _start_workers(
    bootstrap: str, logs: Path, names: list[str], *, rules: bool = True
) -> list[subprocess.Popen[bytes]]:
    """Workers of one group, one per name, started together so they join the group in one rebalance."""
    started = [_spawn_worker(bootstrap, logs, name, rules=rules) for name in names]
    try:
        for worker, name in zip(started, names, strict=True):
            _wait_ready(worker, logs, name)
    except BaseException:
        for worker in started:
            _stop_worker(worker)
        raise
    return started


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


async def _warm_up(bootstrap: str) -> None:
    warm = raw_entries(500, seed=1)
    collecting = asyncio.create_task(_collect(bootstrap, "s1-", len(warm), 90))
    await _produce(bootstrap, warm)
    await collecting


async def _throughput(bootstrap: str, prefix: str, count: int,
                      workers: list[subprocess.Popen[bytes]]) -> tuple[float, float, float]:
    """Entries/s from the first to the last output record of a backlog, its span in seconds, and the workers'
    CPU µs per entry meanwhile."""
    cpu_before = _workers_cpu_seconds(workers)
    seen = await _collect(bootstrap, prefix, count, 300)
    cpu_used = _workers_cpu_seconds(workers) - cpu_before
    stamps = [kafka_ms for kafka_ms, _, _ in seen]
    span = (max(stamps) - min(stamps)) / 1000
    return count / span, span, cpu_used / count * 1e6


async def _throughput_and_latency(args: argparse.Namespace, bootstrap: str, backlog: int, chars: float,
                                  workers: list[subprocess.Popen[bytes]]) -> None:
    rate, span, cpu_per_entry = await _throughput(bootstrap, "s2-", backlog, workers)
    who = "one worker" if args.workers == 1 else f"{args.workers} workers"
    print(f"throughput: {backlog} entries (mean {chars:.0f} characters of text), {who}, {args.partitions} "
          f"partitions, backlog produced before it started: {rate:,.0f} entries/s "
          f"(first to last output record, {span:.2f} s)")
    print(f"  worker CPU: {cpu_per_entry:,.0f} µs per entry (user + system, all workers)")

    paced = raw_entries(int(args.rate * args.seconds), seed=3)
    output = Output(bootstrap, "s3-", from_end=True)
    await output.start()
    try:
        collecting = asyncio.create_task(output.wait_for(len(paced), args.seconds + 120))
        await _produce(bootstrap, paced, rate=args.rate)
        await collecting
    finally:
        await output.stop()
    seen = output.seen
    processing = [float(kafka_ms - raw_ts) for kafka_ms, _, raw_ts in seen]
    delivered = [received - raw_ts for _, received, raw_ts in seen]
    print(f"latency at {args.rate:.0f} entries/s for {args.seconds:.0f} s ({len(paced)} entries):")
    print(f"  raw ts -> entry sent by the worker:   p50 {_percentile(processing, 0.5):6.1f} ms   "
          f"p99 {_percentile(processing, 0.99):6.1f} ms")
    print(f"  raw ts -> entry received by a reader: p50 {_percentile(delivered, 0.5):6.1f} ms   "
          f"p99 {_percentile(delivered, 0.99):6.1f} ms")


def rules_alone(records: list[tuple[bytes, bytes]], partitions: int) -> dict[str, float]:
    """CPU µs per record of ``Processor.process`` plus encoding the entry, in this process (no Kafka), after
    500 other entries warmed the caches: ``total``, and the split the processor reports per stage (its
    ``newswire_processor_stage_seconds``: validate, normalise, dedup, enrich)."""
    load_language_model()
    processor = Processor()
    for number, (key, value) in enumerate(_encoded(raw_entries(500, seed=1))):
        processor.process(key, value, DeadLetterSource(topic=topics.RAW, partition=number % partitions, offset=number))
    stages = dict.fromkeys(STAGES, 0.0)
    gc.collect()
    gc.freeze()  # as the worker does once it is ready: the collector no longer walks what is alive already
    started = time.process_time()
    for number, (key, value) in enumerate(records):
        outcome = processor.process(key, value,
                                    DeadLetterSource(topic=topics.RAW, partition=number % partitions, offset=number))
        if outcome.entry is not None:
            encode(outcome.entry)
        for stage, seconds in outcome.timings.items():
            stages[stage] += seconds
    spent = time.process_time() - started
    return {"total": spent / len(records) * 1e6, **{stage: s / len(records) * 1e6 for stage, s in stages.items()}}


def _encoded(entries: list[tuple[bytes, RawEntry, str]]) -> list[tuple[bytes, bytes]]:
    return [(key, _encode(story, entry)) for key, entry, story in entries]


def ceiling(args: argparse.Namespace, backlog: list[tuple[bytes, RawEntry, str]], logs: Path) -> None:
    """The backlog through bench/worker_without_rules.py on a fresh broker (the real run's entries on the
    first broker would be read back into the worker's state first)."""
    running: list[subprocess.Popen[bytes]] = []
    with _broker(logs, "ceiling-broker", args.partitions) as bootstrap:
        try:
            asyncio.run(_produce(bootstrap, backlog))
            running = _start_workers(bootstrap, logs, ["without-rules"], rules=False)
            rate, span, cpu_per_entry = asyncio.run(_throughput(bootstrap, "s2-", len(backlog), running))
            print(f"with the rules switched off (bench/worker_without_rules.py, same backlog, fresh broker): "
                  f"{rate:,.0f} entries/s, {cpu_per_entry:,.0f} µs of worker CPU per entry ({span:.2f} s)")
        finally:
            for worker in running:
                _stop_worker(worker)


@contextlib.contextmanager
def _broker(logs: Path, name: str, partitions: int) -> Iterator[str]:
    """A local Apache Kafka holding newswire's topics, stopped (its data removed) on leaving; gives its
    bootstrap address."""
    broker = LocalKafka(log_path=logs / f"{name}.log")
    try:
        asyncio.run(broker.start())
        asyncio.run(ensure_topics(broker.bootstrap, topics.ALL, partitions))
        yield broker.bootstrap
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries for the throughput run")
    parser.add_argument("--rate", type=float, default=500.0, help="entries/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="workers sharing the partitions (default 1)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="skip the run with the rules switched off (bench/worker_without_rules.py)")
    args = parser.parse_args()
    backlog = raw_entries(args.entries, seed=2)
    with tempfile.TemporaryDirectory(prefix="bench-processors-") as tmp:
        logs = Path(tmp)
        running: list[subprocess.Popen[bytes]] = []
        with _broker(logs, "broker", args.partitions) as bootstrap:
            try:
                running = _start_workers(bootstrap, logs, ["warm-up"])
                asyncio.run(_warm_up(bootstrap))
                _stop_worker(running.pop())
                # the backlog goes in while no worker runs, so producing it takes no CPU from the measured worker
                asyncio.run(_produce(bootstrap, backlog))
                chars = statistics.mean(len(entry.body_text or "") for _, entry, _ in backlog)
                running = _start_workers(bootstrap, logs, [f"measured-{number}" for number in range(args.workers)])
                asyncio.run(_throughput_and_latency(args, bootstrap, len(backlog), chars, running))
            finally:
                for worker in running:
                    _stop_worker(worker)
        alone = rules_alone(_encoded(backlog), args.partitions)
        split = ", ".join(f"{stage} {alone[stage]:,.0f}" for stage in STAGES)
        print(f"the rules alone, in one process without Kafka: {alone['total']:,.0f} µs of CPU per entry "
              f"(= {1e6 / alone['total']:,.0f} entries/s on one core): {split}, recording and encoding the entry "
              f"{alone['total'] - sum(alone[stage] for stage in STAGES):,.0f}")
        if not args.no_ceiling:
            ceiling(args, backlog, logs)


if __name__ == "__main__":
    main()
