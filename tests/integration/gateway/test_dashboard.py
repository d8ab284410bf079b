"""The dashboard in headless Chromium (Debian's /usr/bin/chromium, installed by tests/setup-chromium.sh)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from newswire.gateway.server import GatewayServer
from newswire.gateway.settings import GatewaySettings
from newswire.ports import free_port

from .conftest import TIMEOUT, EntryWriter, make_entry

pytestmark = pytest.mark.integration




async def test_dashboard_shows_edits_deletes_and_survives_a_gateway_restart(
        browser: Browser, settings: GatewaySettings, writer: EntryWriter, story: str) -> None:
    """A published entry appears, an edit replaces it, a delete removes it, and a restart loses nothing."""
    fixed = settings.replace(port=free_port())
    page: Page = await browser.new_page()
    expect.set_options(timeout=TIMEOUT * 1000)
    gateway = GatewayServer(fixed)
    await gateway.start()
    try:
        await gateway.wait_ready(TIMEOUT)
        await page.goto(f"http://127.0.0.1:{fixed.port}/?story={story}")
        await expect(page.locator("#status")).to_have_text("online")
        quote = [{"text": "We will withdraw", "speaker": "Vladimir Putin"}]
        places = [{"name": "Damascus", "country_code": "SY", "lat": 33.51, "lon": 36.29}]
        await writer.write(make_entry(story, 1, eid="a", body="<b>first</b> report", quotes=quote,
                                      hashtags=["Syria"], people=[{"name": "Vladimir Putin"}], places=places))
        first = page.locator('[data-entry-id="a"]')
        await expect(first).to_contain_text("<b>first</b> report")  # shown as text, never as HTML
        await expect(first).to_contain_text("Vladimir Putin")
        await expect(first).to_contain_text("#Syria")
        await expect(page.locator("#places")).to_contain_text("Damascus (33.51, 36.29)")
        await writer.write(make_entry(story, 2, eid="a", version=2, op="update", body="corrected report"))
        await expect(first).to_contain_text("corrected report")
        await expect(page.locator('[data-entry-id="a"]')).to_have_count(1)
        await writer.write(make_entry(story, 3, eid="b", body="second"),
                           make_entry(story, 4, eid="b", version=2, op="delete", body="second"))
        await expect(page.locator('[data-entry-id="b"]')).to_have_count(0)
        await writer.write(make_entry(story, 5, eid="c", body="third"))
        await expect(page.locator('[data-entry-id="c"]')).to_have_count(1)
    finally:
        await gateway.stop()
    await expect(page.locator("#status")).not_to_have_text("online")
    await writer.write(make_entry(story, 6, eid="d", body="written while the gateway was down"))
    async with GatewayServer(fixed) as restarted:
        await restarted.wait_ready(TIMEOUT)
        await expect(page.locator('[data-entry-id="d"]')).to_contain_text("written while the gateway was down")
        await writer.write(make_entry(story, 7, eid="e", body="after the restart"))
        await expect(page.locator('[data-entry-id="e"]')).to_have_count(1)
        ids = await page.locator("[data-entry-id]").evaluate_all("els => els.map(e => e.dataset.entryId)")
        assert ids == ["e", "d", "c", "a"]  # newest first, nothing lost, nothing twice
        await expect(page.locator("#viewers")).to_have_text("1 viewer")


async def test_dashboard_folds_a_marked_duplicate_under_its_original(
        browser: Browser, settings: GatewaySettings, writer: EntryWriter, story: str) -> None:
    """An entry marked duplicate_of a shown entry is folded (one click shows it); deleting the original unfolds it."""
    fixed = settings.replace(port=free_port())
    page: Page = await browser.new_page()
    expect.set_options(timeout=TIMEOUT * 1000)
    async with GatewayServer(fixed) as gateway:
        await gateway.wait_ready(TIMEOUT)
        await page.goto(f"http://127.0.0.1:{fixed.port}/?story={story}")
        await expect(page.locator("#status")).to_have_text("online")
        await writer.write(make_entry(story, 1, eid="page-1", body="Ferry services will resume tomorrow."),
                           make_entry(story, 2, eid="rss-7", body="UPDATE: Ferry services will resume tomorrow.",
                                      duplicate_of="page-1", duplicate_reason="differs only in a label"))
        copy = page.locator('[data-entry-id="rss-7"]')
        await expect(copy).to_have_class(re.compile(r"\bfolded\b"))
        await expect(copy.locator(".duplicate")).to_have_text(
            "Repeats the entry of 19:01 GMT (differs only in a label)")
        await expect(copy.locator(".body")).to_be_hidden()
        await copy.locator(".duplicate").click()
        await expect(copy.locator(".body")).to_be_visible()
        await copy.locator(".duplicate").click()
        await expect(copy.locator(".body")).to_be_hidden()
        await writer.write(make_entry(story, 3, eid="page-1", version=2, op="delete"))
        await expect(page.locator('[data-entry-id="page-1"]')).to_have_count(0)
        await expect(copy.locator(".body")).to_be_visible()
        await expect(copy.locator(".body")).to_have_text("UPDATE: Ferry services will resume tomorrow.")
