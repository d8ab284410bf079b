"""End-to-end latency and soak benchmark: ingest API → broker → processor → gateway → websocket clients.

    python bench/e2e.py [--rate R] [--clients C] [--duration S] [--bootstrap HOST:PORT]

Starts ``newswire up`` on free ports (with a local Apache Kafka, or on the Kafka at ``--bootstrap``),
connects C websocket clients (bench/e2e_client.c, an epoll client built with gcc on first use) to one
story, posts R entries per second to the ingest API for S seconds, waits for the tail to arrive, and
prints: post→screen latency p50/p99/max (from the entry's ``ts``, stamped by the ingest API when it
accepted the POST, to the client reading the frame), entries lost (posted and acknowledged but missing
at some client: must be 0), duplicates (a seq or an (id, version) seen twice by one client: must be 0),
and the RSS of each process at start and end (growth must be flat).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from procstat import cpu_seconds, rss_mb

from newswire.kafka import topic_partitions
from newswire.ports import free_port
from newswire.schemas import topics

HERE = Path(__file__).resolve().parent
CLIENT_SOURCE = HERE / "e2e_client.c"
#: stories of this run's own, so a run on a Kafka that keeps earlier runs' records starts from nothing
RUN = os.urandom(3).hex()
STORY = f"bench-{RUN}"
WARM_UP_STORY = f"warmup-{RUN}"
TOKEN = "bench-token-" + os.urandom(8).hex()
PARTS = ("broker", "processor", "gateway", "ingest")
_STARTED = re.compile(r"newswire\.up: ([\w-]+) started \(pid (\d+)\)")


def build_client() -> Path:
    """Compile the websocket client once (cached next to the temp dir, rebuilt when the source changes)."""
    out = Path(tempfile.gettempdir()) / f"newswire-e2e-client-{int(CLIENT_SOURCE.stat().st_mtime)}"
    if not out.exists():
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            sys.exit("bench/e2e.py: needs gcc (or cc) to build bench/e2e_client.c")
        subprocess.run([gcc, "-O2", "-pthread", "-o", str(out), str(CLIENT_SOURCE), "-lm"], check=True)
    return out


def percentile_line(latency: dict[str, float]) -> str:
    return f"p50 {latency['p50']:.1f} ms  p99 {latency['p99']:.1f} ms  max {latency['max']:.1f} ms"


class Pipeline:
    """``newswire up`` on free ports, in its own process group, logging to a file."""

    def __init__(self, workdir: Path, bootstrap: str | None = None) -> None:
        self.gateway_port, self.ingest_port = free_port(), free_port()
        if bootstrap:  # a Kafka of the user's (Apache Kafka from docker-compose.yml, say)
            self.bootstrap, broker = bootstrap, ["--bootstrap", bootstrap]
        else:  # the local Apache Kafka, started by newswire up with a fresh data folder
            broker_port = free_port()
            self.bootstrap, broker = f"127.0.0.1:{broker_port}", ["--broker-port", str(broker_port),
                                                                  "--data-dir", str(workdir / "data")]
        self.log_path = workdir / "up.log"
        self.processor_metrics_port = free_port()
        env = dict(os.environ, NEWSWIRE_INGEST_TOKEN=TOKEN, PYTHONUNBUFFERED="1",
                   NEWSWIRE_PROCESSOR_METRICS_PORT=str(self.processor_metrics_port),
                   # listen-only clients send nothing after subscribing; keep them through a long run
                   NEWSWIRE_GATEWAY_IDLE_TIMEOUT_S="86400")
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswire.cli", "--log-level", "WARNING", "up", *broker,
             "--gateway-port", str(self.gateway_port), "--ingest-port", str(self.ingest_port)],
            stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "newswire ready" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"newswire up did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def pids(self) -> dict[str, int]:
        """The pid of each part; started lines are logged at INFO, so read them from ps when quiet."""
        found = {m.group(1): int(m.group(2)) for m in _STARTED.finditer(self.log())}
        if len(found) < len(PARTS):
            found = _children_by_role(self.process.pid)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _children_by_role(parent: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != parent:
                continue
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        words = [w.decode(errors="replace") for w in cmdline]
        role = "broker" if "kafka.Kafka" in words else next((w for w in words if w in PARTS), None)
        if role:
            out[role] = int(status.parent.name)
    return out


class KeepAlivePoster:
    """HTTP/1.1 POSTs over a few kept-alive connections, written and parsed by hand.

    The publishers a newsroom runs are on other machines; here the poster shares two cores with the
    pipeline it measures. aiohttp's client spent ~0.5 ms of CPU per request (10 % of a core at 200/s),
    this one a fraction of that, so the figures describe newswire rather than its load generator.
    """

    def __init__(self, ingest_url: str, path: str, token: str, connections: int = 16) -> None:
        address = ingest_url.removeprefix("http://").rstrip("/")
        self.host, _, port = address.rpartition(":")
        self.port = int(port)
        self.head = (f"POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: ").encode()
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
        for _ in range(connections):
            self.idle.put_nowait(None)  # a slot: connected on first use

    async def post(self, body: bytes) -> int:
        """POST ``body``; the response's status (0 when the connection failed: the caller retries)."""
        connection = await self.idle.get()
        try:
            if connection is None:
                connection = await asyncio.open_connection(self.host, self.port)
            reader, writer = connection
            writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if b"connection: close" in head.lower():
                writer.close()
                connection = None
            return status
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            if connection is not None:
                connection[1].close()
            connection = None
            return 0
        finally:
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        while not self.idle.empty():
            connection = self.idle.get_nowait()
            if connection is not None:
                connection[1].close()
                with contextlib.suppress(OSError):
                    await connection[1].wait_closed()


async def post_entries(ingest_url: str, rate: float, duration: float, counts: dict[str, int]) -> dict[str, Any]:
    """POST ``rate`` entries per second for ``duration`` seconds, each retried on 503 until accepted."""
    total = int(rate * duration)
    accepted = 0
    retries = 0
    failures: list[str] = []
    poster = KeepAlivePoster(ingest_url, f"/v1/stories/{STORY}/entries", TOKEN)

    async def post(n: int) -> None:
        nonlocal accepted, retries
        words = " ".join(f"w{n}x{k}" for k in range(10))
        body = json.dumps({"id": f"bench-e{n}", "body_text": f"Bench entry {n}: {words}."}).encode()
        for _ in range(50):
            if await poster.post(body) == 202:
                accepted += 1
                counts["accepted"] = accepted
                return
            retries += 1
            await asyncio.sleep(0.2)
        failures.append(f"bench-e{n}")

    start = time.monotonic()
    tasks = []
    try:
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(n)))
        await asyncio.gather(*tasks)
    finally:
        await poster.close()
    return {"posted": total, "accepted": accepted, "retries": retries, "failed": failures,
            "post_seconds": time.monotonic() - start}


async def warm_up(ingest_url: str, gateway_url: str, count: int = 50, timeout: float = 120) -> None:
    """Post ``count`` entries to another story and wait until the gateway has them: the figures then describe
    the running pipeline, not its first requests (model loading, connection set-up)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        for n in range(count):
            body = {"id": f"warm-{n}", "body_text": f"Warm-up entry {n}: " + " ".join(f"u{n}v{k}" for k in range(10))}
            async with session.post(f"{ingest_url}/v1/stories/{WARM_UP_STORY}/entries", json=body,
                                    headers=headers) as resp:
                if resp.status != 202:
                    sys.exit(f"bench/e2e.py: warm-up entry refused: {resp.status} {await resp.text()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with session.get(f"{gateway_url}/stats") as resp:
                stats = await resp.json()
            if stats["stories"].get(WARM_UP_STORY, {}).get("seq", 0) >= count:
                return
            await asyncio.sleep(0.1)
    sys.exit("bench/e2e.py: the warm-up entries did not reach the gateway")


async def topic_ends(consumer: AIOKafkaConsumer, bootstrap: str, topic: str) -> int:
    tps = [TopicPartition(topic, p) for p in sorted(await topic_partitions(bootstrap, topic))]
    return sum((await consumer.end_offsets(tps)).values()) if tps else 0


async def gateway_seq(session: aiohttp.ClientSession, gateway_url: str) -> int:
    async with session.get(f"{gateway_url}/stats") as resp:
        return int((await resp.json())["stories"].get(STORY, {}).get("seq", 0))


async def progress(bootstrap: str, gateway_url: str, counts: dict[str, int], every: float,
                   samples: list[dict[str, Any]], pids: dict[str, int]) -> None:
    """Every ``every`` seconds, print where entries are (accepted, on the raw topic, processed, at the gateway)
    and each process's RSS, so memory growth over the run can be read as a curve, not two points."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    start = time.monotonic()
    try:
        async with aiohttp.ClientSession() as session:
            while True:
                await asyncio.sleep(every)
                sample = {"t": round(time.monotonic() - start), "accepted": counts["accepted"],
                          "raw": await topic_ends(consumer, bootstrap, topics.RAW),
                          "processed": await topic_ends(consumer, bootstrap, topics.ENTRIES),
                          "gateway_seq": await gateway_seq(session, gateway_url)}
                rss = {part: round(mb, 1) for part in PARTS if part in pids and (mb := rss_mb(pids[part])) is not None}
                print("progress: " + "  ".join(f"{k} {v}" for k, v in sample.items()) + "  RSS MB "
                      + " ".join(f"{part} {mb}" for part, mb in rss.items()), file=sys.stderr, flush=True)
                samples.append({**sample, "rss_mb": rss})
    finally:
        await consumer.stop()


def _percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return ({"p50": values[len(values) // 2], "p99": values[int(len(values) * 0.99)], "max": values[-1],
             "entries": len(values)} if values else {})


async def _record_times(bootstrap: str, topic: str, entry_of: Any) -> dict[str, tuple[int, int]]:
    """Per bench entry id on ``topic``, from the beginning to the current end: (the entry's ``ts``, the record's
    Kafka timestamp). ``entry_of`` finds the entry in a decoded record value."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
                                fetch_max_wait_ms=500)
    await consumer.start()
    times: dict[str, tuple[int, int]] = {}
    try:
        tps = [TopicPartition(topic, p) for p in sorted(await topic_partitions(bootstrap, topic))]
        ends = await consumer.end_offsets(tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000, max_records=10_000)).values():
                for record in records:
                    value = json.loads(record.value)
                    entry = entry_of(value)
                    if value.get("story") == STORY and str(entry.get("id", "")).startswith("bench-e"):
                        times.setdefault(entry["id"], (value["ts"], record.timestamp))
    finally:
        await consumer.stop()
    return times


def histogram_shares(metrics_text: str, name: str, up_to_s: float = 0.25) -> dict[str, float]:
    """A Prometheus histogram's cumulative buckets up to ``up_to_s`` as shares of its count."""
    buckets: list[tuple[float, float]] = []
    for line in metrics_text.splitlines():
        match = re.match(rf'{name}_bucket\{{le="([^"]+)"\}} (\S+)', line)
        if match:
            buckets.append((float(match[1]), float(match[2])))
    total = buckets[-1][1] if buckets else 0
    return {f"within {le * 1000:g} ms": round(count / total, 4) for le, count in buckets if total and le <= up_to_s}


async def _metrics_text(session: aiohttp.ClientSession, url: str) -> str:
    """The metrics page at ``url``; empty, with a warning, when it cannot be read (the run's other figures stand)."""
    try:
        async with session.get(url) as resp:
            resp.raise_for_status()
            return await resp.text()
    except aiohttp.ClientError as exc:
        print(f"WARNING: could not read {url}: {exc!r}; its hop is left out", file=sys.stderr)
        return ""


async def hop_figures(bootstrap: str, gateway_url: str, processor_metrics_url: str) -> dict[str, Any]:
    """Where the time goes, from the records' timestamps: post → record on ``newswire.entries.raw`` (the ingest
    API), that record → the entry's record on ``newswire.entries`` (a hop through the broker and the processor),
    of which that record → the processor's worker taking it (its histogram: broker, consumer, batch window);
    and record → write to the last client of its batch (gateway), from the gateway's latency histogram."""
    raw = await _record_times(bootstrap, topics.RAW, lambda value: value.get("entry") or {})
    entries = await _record_times(bootstrap, topics.ENTRIES, lambda value: value)
    async with aiohttp.ClientSession() as session:
        gateway = histogram_shares(await _metrics_text(session, f"{gateway_url}/metrics"),
                                   "newswire_gateway_delivery_latency_seconds")
        waits = histogram_shares(await _metrics_text(session, processor_metrics_url),
                                 "newswire_processor_wait_seconds")
    return {"post_to_entry_ms": _percentiles([at - ts for ts, at in entries.values()]),
            "post_to_raw_ms": _percentiles([at - ts for ts, at in raw.values()]),
            "raw_to_entry_ms": _percentiles([entries[key][1] - at for key, (_, at) in raw.items() if key in entries]),
            "raw_to_worker_share": waits,
            "entry_to_write_share": gateway}


async def drain(gateway_url: str, expected: int, quiet: float, limit: float) -> int:
    """Wait until the gateway holds ``expected`` entries of the story, or its seq stops moving for ``quiet`` s."""
    async with aiohttp.ClientSession() as session:
        last, moved, deadline = -1, time.monotonic(), time.monotonic() + limit
        while time.monotonic() < deadline:
            seq = await gateway_seq(session, gateway_url)
            if seq >= expected:
                return seq
            if seq != last:
                last, moved = seq, time.monotonic()
            elif time.monotonic() - moved > quiet:
                return seq
            await asyncio.sleep(0.2)
        return last


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float | None]:
    """CPU seconds used so far by each part of the pipeline, and by this process (the poster and the progress
    lines) as ``poster``."""
    return {**{part: cpu_seconds(pids[part]) for part in PARTS if part in pids}, "poster": time.process_time()}


async def _post_and_drain(pipeline: Pipeline, gateway_url: str, args: argparse.Namespace,
                          samples: list[dict[str, Any]], pids: dict[str, int]
                          ) -> tuple[dict[str, Any], dict[str, float], float]:
    """Post, drain and read the hop figures; also the CPU seconds each part used and the wall seconds, both
    counted up to the end of the drain (reading the topics back for the hop figures is not part of the run)."""
    counts = {"accepted": 0}
    cpu_start = cpu_snapshot(pids)
    posting_started = time.monotonic()
    watcher = asyncio.create_task(progress(pipeline.bootstrap, gateway_url, counts, args.progress, samples, pids))
    try:
        posting = await post_entries(f"http://127.0.0.1:{pipeline.ingest_port}", args.rate, args.duration, counts)
        started = time.monotonic()
        posting["gateway_seq_after_drain"] = await drain(gateway_url, posting["accepted"], 10, args.drain)
        posting["drain_seconds"] = round(time.monotonic() - started, 1)
        wall = time.monotonic() - posting_started
        cpu_end = cpu_snapshot(pids)
        cpu_used = {part: round(end - start, 1) for part, start in cpu_start.items()
                    if start is not None and (end := cpu_end.get(part)) is not None}
        posting["hops"] = await hop_figures(pipeline.bootstrap, gateway_url,
                                            f"http://127.0.0.1:{pipeline.processor_metrics_port}/metrics")
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    return posting, cpu_used, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="entries posted per second (default 200)")
    parser.add_argument("--clients", type=int, default=1000, help="websocket clients (default 1000)")
    parser.add_argument("--duration", type=float, default=600, help="seconds of posting (default 600)")
    parser.add_argument("--drain", type=float, default=120,
                        help="at most this many seconds for the tail after posting (stops early once all arrived "
                             "or nothing moved for 10 s; default 120)")
    parser.add_argument("--progress", type=float, default=10, help="seconds between progress lines (default 10)")
    parser.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="run the pipeline on this Kafka (docker-compose.yml's, say) instead of a local "
                             "Apache Kafka it starts; the run uses stories of its own")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run's folder (newswire up's log, the local Kafka's data); by default it "
                             "is removed after a run that completed, and kept, with its path printed, after one "
                             "that failed")
    args = parser.parse_args(argv)

    client = build_client()
    workdir = Path(tempfile.mkdtemp(prefix="newswire-bench-e2e-"))
    pipeline = Pipeline(workdir, args.bootstrap)
    loader: subprocess.Popen[str] | None = None
    completed = False
    try:
        pipeline.wait_ready()
        asyncio.run(warm_up(f"http://127.0.0.1:{pipeline.ingest_port}", f"http://127.0.0.1:{pipeline.gateway_port}"))
        window = args.duration + args.drain + 5
        loader = subprocess.Popen(
            [str(client), "-u", f"ws://127.0.0.1:{pipeline.gateway_port}/ws", "-c", str(args.clients),
             "-w", "0", "-d", str(window), "-i", "200", "-I", '"id":"bench-e',
             "-s", json.dumps({"type": "subscribe", "channel": f"story:{STORY}"})],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert loader.stderr is not None
        for line in loader.stderr:
            if "window_start" in line:
                break
            print(line.rstrip(), file=sys.stderr)
        time.sleep(1)  # the subscribes are in before the first entry
        pids = pipeline.pids()
        rss_start = {part: rss_mb(pids[part]) for part in PARTS if part in pids}
        gateway_url = f"http://127.0.0.1:{pipeline.gateway_port}"
        samples: list[dict[str, Any]] = []
        posting, cpu_used, wall = asyncio.run(_post_and_drain(pipeline, gateway_url, args, samples, pids))
        rss_end = {part: rss_mb(pids[part]) for part in PARTS if part in pids}
        time.sleep(1)  # frames in flight
        loader.send_signal(signal.SIGUSR1)  # ends the client's window early and makes it print
        out, _ = loader.communicate(timeout=window + 60)
        result = json.loads(out.strip().splitlines()[-1])
        completed = True
    finally:
        if loader is not None and loader.poll() is None:
            loader.kill()
        pipeline.stop()
        if completed and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)  # a run's Kafka data is 20-200 MB
        else:
            print(f"bench/e2e.py: newswire up's log and the Kafka data of this run are in {workdir}", file=sys.stderr)

    accepted = posting["accepted"]
    lost = accepted - result["distinct_min"] + (args.clients - result["open_at_end"]) * accepted
    if posting["gateway_seq_after_drain"] < accepted:
        print(f"WARNING: the pipeline fell behind: the gateway held {posting['gateway_seq_after_drain']} of "
              f"{accepted} entries after {posting['drain_seconds']} s of drain; 'lost' counts those not delivered "
              "by then", file=sys.stderr)
    duplicates = result["seq_dups"] + result["id_dups"]
    print(f"e2e: rate {args.rate:g}/s, clients {args.clients} (open at end {result['open_at_end']}), "
          f"duration {args.duration:g} s; posted {posting['posted']}, accepted {accepted} "
          f"({posting['retries']} retries, {len(posting['failed'])} failed)")
    print(f"post→screen latency: {percentile_line(result['latency_ms'])} "
          f"({result['latency_samples']} deliveries, {result['deliveries_per_s']:.0f}/s)")
    by_minute = result.get("p99_by_minute_ms") or []
    posting_minutes = by_minute[:max(int(args.duration // 60), 1)]  # the minutes entries were posted in
    if len(posting_minutes) >= 2:
        first, last = posting_minutes[0], posting_minutes[-1]
        print(f"p99 per minute of posting: {', '.join(f'{v:.0f}' for v in posting_minutes)} ms; last minute / first "
              f"minute = {last / first:.2f} (soak target ≤ 1.3)")
    hops = posting.get("hops", {})
    if hops.get("post_to_entry_ms"):
        print(f"  of which post→record on {topics.ENTRIES} (ingest, broker, processor): "
              f"{percentile_line(hops['post_to_entry_ms'])}")
    if hops.get("post_to_raw_ms") and hops.get("raw_to_entry_ms"):
        print(f"    post→record on {topics.RAW} (ingest API): {percentile_line(hops['post_to_raw_ms'])}")
        print(f"    that record→record on {topics.ENTRIES} (broker hop, processor): "
              f"{percentile_line(hops['raw_to_entry_ms'])}")
    if hops.get("raw_to_worker_share"):
        print("      of which that record→the processor's worker (broker, consumer, batch window; every record), "
              "share of records: " + ", ".join(f"{k} {v:.1%}" for k, v in hops["raw_to_worker_share"].items()))
    if hops.get("entry_to_write_share"):
        print("  record→write to a batch's last client (gateway), share of entries: "
              + ", ".join(f"{k} {v:.1%}" for k, v in hops["entry_to_write_share"].items()))
    print(f"entries lost: {lost}   duplicates: {duplicates}   seq gaps: {result['seq_gaps']}")
    print(f"CPU while posting and draining ({wall:.0f} s): "
          + ", ".join(f"{part} {used:.1f} s ({used / wall:.0%} of a core)" for part, used in cpu_used.items())
          + f", clients {result.get('client_cpu_pct', 0):.0f}% of a core (poster and clients: the benchmark's own)")
    half: dict[str, float] = next((sample["rss_mb"] for sample in samples if sample["t"] >= args.duration / 2), {})
    for part in PARTS:
        start, end = rss_start.get(part), rss_end.get(part)
        if start is not None and end is not None:
            middle = half.get(part)
            second_half = f"  at half {middle:7.1f} MB  growth over the second half {end - middle:+7.1f} MB" \
                if middle is not None else ""
            print(f"RSS {part:<9} start {start:7.1f} MB  end {end:7.1f} MB  growth {end - start:+7.1f} MB{second_half}")
    print(json.dumps({"args": vars(args), "posting": {k: v for k, v in posting.items() if k != "failed"},
                      "progress": samples,
                      "client": result, "cpu_s": cpu_used, "rss_start_mb": rss_start, "rss_end_mb": rss_end,
                      "lost": lost, "duplicates": duplicates}))
    return 0 if lost == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
