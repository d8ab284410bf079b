"""Gateway benchmark: newswire's gateway against a bare ``websockets.broadcast()`` server, same run.

usage: python bench/gateway/run.py [--quick] [--only NAME...]

Starts a local Apache Kafka, then for each scenario a server process, a publisher (entries of ~1.5 KB
written to newswire.entries at a fixed rate; the bare server makes its own) and ``wsclient`` (C, epoll,
built here with cc) on loopback. Prints one line per scenario: connections held, deliveries/s,
publish→client latency p50/p99 (from ``ts``), server RSS per connection, and the bare server's ratio.
Bounded: about 3.5 minutes in full, under one with --quick.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from payload import bench_entry  # noqa: E402
from procstat import cpu_seconds, rss_mb  # noqa: E402


@dataclass
class Scenario:
    name: str
    server: str  # "newswire" or "bare"
    clients: int
    rate: float  # events per second
    workers: int = 1
    client_procs: int = 1


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        return [Scenario("bare 2k x 40/s", "bare", 2000, 40), Scenario("newswire 2k x 40/s", "newswire", 2000, 40)]
    return [
        Scenario("bare 5k x 10/s", "bare", 5000, 10),
        Scenario("newswire 5k x 10/s", "newswire", 5000, 10),
        # bench/e2e.py's fan-out alone: 1,000 clients of one story at 200 entries/s
        Scenario("newswire 1k x 200/s (e2e fan-out)", "newswire", 1000, 200),
        Scenario("bare 5k x 60/s (saturation)", "bare", 5000, 60),
        Scenario("newswire 5k x 60/s (saturation, coalesced)", "newswire", 5000, 60),
        Scenario("newswire 5k x 100/s (coalesced)", "newswire", 5000, 100),
        Scenario("newswire 10k x 1/s (memory)", "newswire", 10000, 1),
        Scenario("newswire --workers 2, 20k x 1/s", "newswire", 20000, 1, workers=2, client_procs=2),
    ]


def build_client(out: Path) -> Path:
    exe = out / "wsclient"
    subprocess.run(["cc", "-O2", "-o", str(exe), str(HERE / "wsclient.c")], check=True)
    return exe


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_bytes(pids: list[int]) -> int:
    return int(sum(rss_mb(pid) or 0.0 for pid in pids) * 1024 * 1024)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready within {timeout} s")


def wait_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} not open within {timeout} s")


async def publish(bootstrap: str, story: str, rate: float, seconds: float) -> None:
    import orjson
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        start = time.monotonic()
        seq = 0
        while time.monotonic() - start < seconds:
            seq += 1
            await producer.send("newswire.entries", orjson.dumps(bench_entry(story, seq)), key=story.encode())
            await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
        await producer.flush()
    finally:
        await producer.stop()


def server_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far."""
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def sockets_held(pid: int) -> int:
    """Open sockets of a process: its client connections plus a few of its own (listener, Kafka)."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return 0
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def stop(proc: subprocess.Popen | None, timeout: float, extra: list[int] = ()) -> list[int]:  # type: ignore[type-arg]
    """SIGTERM ``proc`` and wait; past ``timeout`` SIGKILL it and ``extra`` (its worker processes) by PID.

    Returns the PIDs still running afterwards (none, unless something refused even SIGKILL).
    """
    if proc is None:
        return []
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in extra) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in extra:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    return [pid for pid in [proc.pid, *extra] if alive(pid)]


def run_scenario(sc: Scenario, client: Path, bootstrap: str, warmup: float, duration: float) -> dict:
    """Run one scenario and stop everything it started, in order (publisher, clients, server), by PID."""
    port = free_port()
    story = f"bench-{port}"
    env = {**os.environ, "NEWSWIRE_GATEWAY_MAX_NEW_CONNECTIONS_PER_S": "20000",
           "NEWSWIRE_GATEWAY_MAX_CONNECTIONS": "30000", "NEWSWIRE_GATEWAY_IDLE_TIMEOUT_S": "600"}
    server = publisher = None
    loads: list[subprocess.Popen] = []  # type: ignore[type-arg]
    workers: list[int] = []
    try:
        if sc.server == "bare":
            server = subprocess.Popen([sys.executable, str(HERE / "bare_server.py"), str(port), str(sc.rate)],
                                      env=env, stdin=subprocess.DEVNULL)
            wait_port(port)
            channel = "story:bare"
        else:
            server = subprocess.Popen([sys.executable, "-m", "newswire.cli", "--log-level", "WARNING", "gateway",
                                       "--port", str(port), "--bootstrap", bootstrap, "--workers", str(sc.workers)],
                                      env=env, stdin=subprocess.DEVNULL)
            wait_http(f"http://127.0.0.1:{port}/readyz")
            channel = f"story:{story}"
        time.sleep(0.5)
        workers = children(server.pid) if sc.workers > 1 else []
        pids = workers or [server.pid]
        sockets_before = {pid: sockets_held(pid) for pid in pids}
        rss_before = rss_bytes(pids)
        per_proc = sc.clients // sc.client_procs
        subscribe = json.dumps({"type": "subscribe", "channel": channel})
        loads = [subprocess.Popen([str(client), "127.0.0.1", str(port), "/ws", str(per_proc), str(warmup),
                                   str(duration), subscribe, "1000"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(sc.client_procs)]
        for load in loads:
            assert load.stderr is not None
            load.stderr.readline()  # "connected N"
        rss_after = rss_bytes(pids)
        split = [sockets_held(pid) - sockets_before[pid] for pid in pids]
        if sc.server == "newswire":
            publisher = subprocess.Popen([sys.executable, str(Path(__file__)), "--publish", bootstrap, story,
                                          str(sc.rate), str(warmup + duration + 2)], stdin=subprocess.DEVNULL)
        cpu_before = server_cpu_seconds(pids)
        outputs = [load.communicate(timeout=warmup + duration + 120) for load in loads]
        results = [json.loads(out) for out, _ in outputs]
        if os.environ.get("WSCLIENT_TRACE"):
            for _, err in outputs:
                sys.stderr.write(err)
        server_cpu = server_cpu_seconds(pids) - cpu_before
    finally:
        left = stop(publisher, 10)
        for load in loads:
            left += stop(load, 5)
        left += stop(server, 15, workers)
    if left:
        raise RuntimeError(f"{sc.name}: processes still running after the scenario: {left}")
    held = sum(r["connections"] for r in results)
    return {
        "name": sc.name, "connections": held, "refused": sum(r["refused"] for r in results),
        "deliveries_per_s": sum(r["deliveries_per_s"] for r in results),
        "offered_per_s": sc.clients * sc.rate,
        "p50_ms": max(r["p50_ms"] for r in results), "p99_ms": max(r["p99_ms"] for r in results),
        "rss_per_conn_kib": (rss_after - rss_before) / max(1, held) / 1024,
        "client_cpu_s": sum(r["client_cpu_s"] for r in results),
        "server_cpu_s": round(server_cpu, 2),
        "connections_per_worker": split,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small scenarios (under a minute)")
    parser.add_argument("--only", nargs="*", help="run scenarios whose name contains one of these words")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per scenario")
    parser.add_argument("--publish", nargs=4, metavar=("BOOTSTRAP", "STORY", "RATE", "SECONDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish:
        bootstrap, story, rate, seconds = args.publish
        asyncio.run(publish(bootstrap, story, float(rate), float(seconds)))
        return 0
    from newswire.kafka import LocalKafka, ensure_topics

    chosen = [s for s in scenarios(args.quick) if not args.only or any(w in s.name for w in args.only)]
    broker = LocalKafka()
    broker_pid = broker.spawn().pid
    try:
        asyncio.run(broker.wait_ready())
        asyncio.run(ensure_topics(broker.bootstrap, ["newswire.entries"], partitions=1))
        with tempfile.TemporaryDirectory() as tmp:
            client = build_client(Path(tmp))
            rows = []
            for sc in chosen:
                row = run_scenario(sc, client, broker.bootstrap, warmup=3.0, duration=args.duration)
                rows.append(row)
                print(f"{row['name']:<46} conns {row['connections']:>6}"
                      f"  deliveries/s {row['deliveries_per_s']:>9,.0f} (offered {row['offered_per_s']:>9,.0f})"
                      f"  p50 {row['p50_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms"
                      f"  RSS/conn {row['rss_per_conn_kib']:>5.1f} KiB  client CPU {row['client_cpu_s']:.1f} s"
                      f"  server CPU {row['server_cpu_s']:.1f} s"
                      + (f"  per worker {row['connections_per_worker']}" if len(row["connections_per_worker"]) > 1
                         else ""), flush=True)
    finally:
        broker.stop()
    if alive(broker_pid):
        raise RuntimeError(f"the local Kafka is still running: pid {broker_pid}")
    by_name = {r["name"]: r for r in rows}
    for bare_name, ours in (("bare 5k x 60/s (saturation)", "newswire 5k x 60/s (saturation, coalesced)"),
                            ("bare 2k x 40/s", "newswire 2k x 40/s")):
        if bare_name in by_name and ours in by_name:
            ratio = by_name[ours]["deliveries_per_s"] / max(1, by_name[bare_name]["deliveries_per_s"])
            print(f"ratio newswire / bare deliveries/s at {bare_name.split(' (')[0][5:]}: {ratio:.2f}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
