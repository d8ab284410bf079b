"""Kafka unreachable at start-up: every service waits with a clear log line, the ingest API answers 503."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from newswire.kafka import LocalKafka
from newswire.ports import free_port

from .conftest import TOKEN, entry_body, wait_until


class Service:
    def __init__(self, name: str, args: list[str], log: Path, bootstrap: str) -> None:
        self.name = name
        self.log_path = log
        env = dict(os.environ, NEWSWIRE_INGEST_TOKEN=TOKEN, KAFKA_BOOTSTRAP_SERVERS=bootstrap, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "newswire.cli", name, *args], env=env,
                                        stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def no_kafka(tmp_path: Path) -> Iterator[dict[str, object]]:
    """Processor, gateway and ingest pointed at a port where no broker listens (yet)."""
    broker_port, gateway_port, ingest_port = free_port(), free_port(), free_port()
    bootstrap = f"127.0.0.1:{broker_port}"
    ready_file = tmp_path / "processor.ready"
    services = {
        "processor": Service("processor", ["--bootstrap", bootstrap, "--ready-file", str(ready_file)],
                             tmp_path / "processor.log", bootstrap),
        "gateway": Service("gateway", ["--host", "127.0.0.1", "--port", str(gateway_port), "--bootstrap", bootstrap],
                           tmp_path / "gateway.log", bootstrap),
        "ingest": Service("ingest", ["--host", "127.0.0.1", "--port", str(ingest_port), "--bootstrap", bootstrap],
                          tmp_path / "ingest.log", bootstrap),
    }
    try:
        yield {"services": services, "broker_port": broker_port, "ready_file": ready_file,
               "gateway": f"http://127.0.0.1:{gateway_port}", "ingest": f"http://127.0.0.1:{ingest_port}",
               "tmp": tmp_path}
    finally:
        for service in services.values():
            service.stop()


async def _status(session: aiohttp.ClientSession, method: str, url: str, **kw: object) -> tuple[int, dict[str, str]]:
    try:
        async with session.request(method, url, **kw) as resp:  # type: ignore[arg-type]
            return resp.status, dict(resp.headers)
    except aiohttp.ClientConnectionError:
        return 0, {}


async def test_services_wait_for_kafka_then_work_once_it_appears(no_kafka: dict[str, object]) -> None:
    """Nothing exits while Kafka is away; each says it is waiting; ingest is 503; all serve once a broker starts."""
    services: dict[str, Service] = no_kafka["services"]  # type: ignore[assignment]
    ingest, gateway = str(no_kafka["ingest"]), str(no_kafka["gateway"])
    post = f"{ingest}/v1/stories/fault-nokafka/entries"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        status, headers = await wait_until(
            "ingest answering", lambda: _answered(session, "POST", post, json=entry_body(0, "x"), headers=auth))
        assert status == 503 and headers.get("Retry-After")
        assert (await _status(session, "GET", f"{ingest}/readyz"))[0] == 503
        # the gateway serves /readyz while it waits for Kafka, once it listens (start-up is slow on a loaded machine)
        gateway_status, _ = await wait_until("the gateway answering",
                                             lambda: _answered(session, "GET", f"{gateway}/readyz"))
        assert gateway_status == 503
        await wait_until("the processor's waiting line", lambda: "waiting for Kafka at" in services["processor"].log())
        await wait_until("the gateway's retry line", lambda: "retrying" in services["gateway"].log())
        await wait_until("the ingest API's retry line", lambda: "not reachable" in services["ingest"].log())
        assert all(s.process.poll() is None for s in services.values()), {n: s.log()[-500:] for n, s in
                                                                           services.items()}

        broker = LocalKafka(int(no_kafka["broker_port"]),  # type: ignore[call-overload]
                                log_path=Path(str(no_kafka["tmp"])) / "broker.log")
        broker.spawn()
        try:
            ready_file: Path = no_kafka["ready_file"]  # type: ignore[assignment]
            await wait_until("the processor ready", ready_file.exists, timeout=90)
            await wait_until("the gateway ready",
                             lambda: _is(session, f"{gateway}/readyz", 200), timeout=60)
            await wait_until("ingest accepting",
                             lambda: _accepted(session, post, auth), timeout=60)
        finally:
            for service in services.values():
                service.stop()
            broker.stop()


async def _answered(session: aiohttp.ClientSession, method: str, url: str,
                    **kw: object) -> tuple[int, dict[str, str]] | None:
    status, headers = await _status(session, method, url, **kw)
    return (status, headers) if status else None


async def _is(session: aiohttp.ClientSession, url: str, expected: int) -> bool:
    return (await _status(session, "GET", url))[0] == expected


async def _accepted(session: aiohttp.ClientSession, url: str, auth: dict[str, str]) -> bool:
    status, _ = await _status(session, "POST", url, json=entry_body(1, "fault-nokafka"), headers=auth)
    return status == 202
