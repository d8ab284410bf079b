"""Fixtures shared by every tier: the session's Kafka, and a headless Chromium for the dashboard tests.

Integration tests talk to Apache Kafka: ``$KAFKA_BOOTSTRAP_SERVERS`` when set, otherwise the local
Apache Kafka (newswire.kafka.LocalKafka), started once per session on a free port with a fresh data
folder and stopped after. It fails loudly when it cannot start: a skipped integration test would hide
a broken product.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from newswire.kafka import LocalKafka, ensure_topics
from newswire.schemas import topics
from support import TIMEOUT

#: Partitions of the session's topics: more than one, so per-story ordering is exercised across partitions.
SESSION_PARTITIONS = 2


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of the session's Kafka, with newswire's three topics."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        asyncio.run(ensure_topics(external, topics.ALL, partitions=SESSION_PARTITIONS))
        yield external
        return
    folder = tmp_path_factory.mktemp("kafka")
    broker = LocalKafka(data_dir=folder / "data", log_path=folder / "broker.log")
    try:
        asyncio.run(broker.start(TIMEOUT * 4))
        asyncio.run(ensure_topics(broker.bootstrap, topics.ALL, partitions=SESSION_PARTITIONS))
        yield broker.bootstrap
    finally:
        broker.stop()


#: Debian's chromium (installed by tests/setup-chromium.sh); playwright never downloads a browser here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium driven by playwright, closed after the test."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


#: Markers every test under a folder carries, set here so no test file can forget them:
#: ``pytest -m "not integration"`` runs what needs no broker, ``-m faults`` the fault tier.
FOLDER_MARKERS = {"integration": ("integration",), "faults": ("integration", "faults"), "packaging": ("packaging",)}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(root).parts[0] if item.path.is_relative_to(root) else ""
        for marker in FOLDER_MARKERS.get(folder, ()):
            item.add_marker(marker)
