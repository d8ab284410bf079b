"""Three Apache Kafka nodes on loopback (replication 3, min.insync.replicas 2); the leader of a busy story's
partition is SIGKILLed mid-stream.

The pipeline (``newswire up --bootstrap``: processor, gateway, ingest API) goes on with the two nodes left:
every accepted entry reaches the client once, seq 1..N in one epoch. The test prints how long the
pipeline took to deliver again: the longest wait for an entry at the client after the SIGKILL. Most of it
is Kafka's broker.session.timeout.ms (9 s), after which the controller elects new leaders.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from newswire.kafka import KafkaSettings, LocalKafka, ensure_topics
from newswire.schemas import topics
from support import TIMEOUT

from .conftest import Poster, StoryWatcher, Up, running, wait_until

COUNT = 90
PARTITIONS = 4
STORY = "fault-failover"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LocalKafka]]:
    """Three nodes of one cluster, started together, with newswire's topics replicated three times."""
    nodes = LocalKafka.cluster(3, tmp_path_factory.mktemp("cluster"))

    async def start() -> None:
        for node in nodes:
            node.spawn()
        for node in nodes:
            await node.wait_ready(TIMEOUT * 6)
        settings = KafkaSettings(bootstrap=_bootstrap(nodes), partitions=PARTITIONS, replication=3)
        await ensure_topics(settings.bootstrap, topics.ALL, PARTITIONS, 3, settings.topic_configs())

    try:
        asyncio.run(start())
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def _bootstrap(nodes: list[LocalKafka]) -> str:
    return ",".join(node.bootstrap for node in nodes)


@pytest.fixture(scope="module")
def up_on_cluster(cluster: list[LocalKafka], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    pipeline = Up(tmp_path_factory.mktemp("up"), kafka=_bootstrap(cluster))
    try:
        pipeline.wait_ready()
        yield pipeline
    finally:
        pipeline.stop()


async def _leader_of(bootstrap: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return next(int(p["leader"]) for p in described["partitions"] if p["partition"] == partition)


async def _replica_counts(bootstrap: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics.ALL))
    finally:
        await admin.close()
    return {len(p["replicas"]) for t in described for p in t["partitions"]}


async def test_killing_the_leader_of_a_busy_storys_partition_loses_nothing(up_on_cluster: Up,
                                                                          cluster: list[LocalKafka]) -> None:
    """SIGKILL of the node leading the story's raw partition while entries flow at 20/s: every accepted entry
    reaches the client once, seq 1..90 in one epoch; the pipeline delivers again and the gap is reported."""
    up = up_on_cluster
    assert await _replica_counts(up.bootstrap) == {3}
    partition = DefaultPartitioner()(STORY.encode(), list(range(PARTITIONS)), list(range(PARTITIONS)))
    leader_id = await _leader_of(up.bootstrap, topics.RAW, partition)
    leader = next(node for node in cluster if node.node.node_id == leader_id)
    watcher = StoryWatcher(up.ws_url, STORY)
    poster = Poster(up.ingest_url)
    async with running(watcher.run()):
        await wait_until("the client connected", lambda: watcher.connections)
        async with running(poster.post_many(STORY, range(COUNT), per_second=20)) as (posting,):
            await wait_until("a third of the entries at the client", lambda: len(watcher.entries) >= COUNT // 3,
                             TIMEOUT * 2)
            killed_at = time.monotonic()
            await asyncio.to_thread(leader.kill)
            await asyncio.wait_for(posting, TIMEOUT * 8)
        expected = {f"{STORY}-e{i}" for i in range(COUNT)}
        await wait_until("every entry at the client", lambda: watcher.ids >= expected, TIMEOUT * 6)

    around = [killed_at, *(t for t in watcher.arrived if t > killed_at)]
    stall = max(b - a for a, b in zip(around, around[1:], strict=False))
    print(f"\nfailover: node {leader_id} (leader of {topics.RAW}[{partition}]) SIGKILLed; the client's longest wait "
          f"for an entry after it: {stall:.2f} s (entries were posted every 0.05 s)")
    assert sorted(poster.accepted) == sorted(expected)
    assert watcher.duplicates() == [] and watcher.resyncs == []
    assert len(watcher.epochs) == 1
    assert [m["seq"] for m in watcher.entries] == list(range(1, COUNT + 1))
    assert await _leader_of(up.bootstrap, topics.RAW, partition) != leader_id
