"""Shared by the tests: the one scaled time unit, a runner for the real command line, and a topic
writer and reader."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from newswire.kafka import PRODUCER_DEFAULTS, topic_partitions

#: The one time unit of the tests, in seconds (``NEWSWIRE_TEST_TIMEOUT``); raise it on a slow machine.
TIMEOUT = float(os.environ.get("NEWSWIRE_TEST_TIMEOUT", "15"))


async def run_command(*argv: str, timeout: float = TIMEOUT,
                      env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run a program in a child process (killed after ``timeout``), with ``env`` added to this process's
    environment; return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, **env} if env else None)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def newswire(*args: str, timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``newswire ARGS`` (this checkout's CLI) in a child process."""
    return await run_command(sys.executable, "-m", "newswire.cli", *args, timeout=timeout, env=env)


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 15) -> None:
    """SIGTERM a child we started, then SIGKILL it if it has not exited after ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def read_topic(bootstrap: str, topic: str, *,
                     isolation_level: str = "read_uncommitted") -> list[tuple[bytes | None, bytes]]:
    """Every record of ``topic`` from the beginning to its current end, as (key, value)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level=isolation_level)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in sorted(await topic_partitions(bootstrap, topic))]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[tuple[bytes | None, bytes]] = []
        async with asyncio.timeout(TIMEOUT * 2):
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    out.extend((r.key, r.value) for r in records)
        return out
    finally:
        await consumer.stop()


async def produce(bootstrap: str, topic: str, key: bytes, *values: bytes) -> None:
    """Write ``values`` to ``topic`` under ``key``, one acknowledged record after another (newswire's producer
    defaults: idempotent, acks=all)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_DEFAULTS)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
