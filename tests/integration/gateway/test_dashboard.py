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


def _rgb_at(image, lon: float, lat: float) -> tuple[int, int, int]:  # noqa: ANN001 - a PIL image
    """The screenshot's colour at a longitude and latitude of the map's equirectangular frame."""
    width, height = image.size
    return image.getpixel((int((lon + 180) / 360 * width), int((90 - lat) / 180 * height)))[:3]


async def test_dashboard_shows_headline_and_byline_and_draws_land_under_the_pins(
        browser: Browser, settings: GatewaySettings, writer: EntryWriter, story: str, tmp_path) -> None:
    """Headline and byline are shown; the places map draws the country outlines it ships (no network), with the
    pins on them. Checked on a screenshot of the map in Chromium."""
    import io

    from PIL import Image

    fixed = settings.replace(port=free_port())
    page: Page = await browser.new_page(viewport={"width": 1280, "height": 900})
    expect.set_options(timeout=TIMEOUT * 1000)
    async with GatewayServer(fixed) as gateway:
        await gateway.wait_ready(TIMEOUT)
        await page.goto(f"http://127.0.0.1:{fixed.port}/?story={story}")
        await expect(page.locator("#status")).to_have_text("online")
        places = [{"name": "Gaza", "country_code": "PS", "lat": 31.5, "lon": 34.47},
                  {"name": "Kyiv", "country_code": "UA", "lat": 50.45, "lon": 30.52}]
        await writer.write(make_entry(story, 1, eid="a", body="Aid convoys reached Gaza and Kyiv.",
                                      headline="Aid reaches Gaza", author="Gavin O'Callaghan", places=places))
        entry = page.locator('[data-entry-id="a"]')
        await expect(entry.locator(".headline")).to_have_text("Aid reaches Gaza")
        await expect(entry.locator(".byline")).to_have_text("by Gavin O'Callaghan")
        await expect(entry.locator(".body")).to_have_text("Aid convoys reached Gaza and Kyiv.")
        await expect(page.locator("#pins circle")).to_have_count(2)
        await page.wait_for_function(
            "() => performance.getEntriesByName(location.origin + '/static/world.svg').length > 0")
        await page.wait_for_timeout(300)  # the SVG image is decoded after it arrives: let it paint
        shot = await page.locator("#map").screenshot()
        (tmp_path / "map.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("RGB")

    def is_land(lon: float, lat: float) -> bool:  # the land is a warm grey, the sea a light blue
        red, _, blue = _rgb_at(image, lon, lat)
        return red >= blue

    for lon, lat in [(20, 5), (-55, -10), (100, 60), (135, -25)]:  # central Africa, Brazil, Siberia, Australia
        assert is_land(lon, lat), (lon, lat, _rgb_at(image, lon, lat))
    for lon, lat in [(-140, -20), (-35, 25), (75, -35)]:  # Pacific, Atlantic, Indian Ocean
        assert not is_land(lon, lat), (lon, lat, _rgb_at(image, lon, lat))
    red = _rgb_at(image, 34.47, 31.5)
    assert red[0] > 120 and red[1] < 80 and red[2] < 80, red  # the pin on Gaza
