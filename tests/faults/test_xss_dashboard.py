"""XSS payloads posted through the real pipeline never run in the dashboard (headless Chromium).

Each payload, if it ran, would set ``window.__xss`` or open a dialog; the test also checks that no element
under the entries carries an ``on*`` attribute, a ``javascript:`` link or a ``<script>``.
"""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, Dialog, expect

from support import TIMEOUT

from .conftest import Poster, Up

STORY = "xss"
RUN = "window.__xss=1"

PAYLOADS: dict[str, dict[str, object]] = {
    "script_tag_text": {"body_text": f"<script>{RUN}</script> breaking"},
    "script_tag_html": {"body_html": f"<p>news</p><script>{RUN}</script>"},
    "img_onerror": {"body_html": f'<img src="x" onerror="{RUN}"> photo'},
    "event_handlers": {"body_html": f'<p onclick="{RUN}" onmouseover="{RUN}">hover me</p>'},
    "javascript_url": {"body_html": f'<a href="javascript:{RUN}">read more</a>'},
    "javascript_url_encoded": {"body_html": '<a href="jav&#x09;ascript:window.__xss=1">more</a>'},
    "svg_onload": {"body_html": f'<svg onload="{RUN}"><circle r="5"/></svg> chart'},
    "svg_script": {"body_html": f"<svg><script>{RUN}</script></svg> chart"},
    "svg_animate_href": {"body_html": f'<svg><a><animate attributeName="href" values="javascript:{RUN}"/>'
                                      "<text y=20>click</text></a></svg> map"},
    "iframe_srcdoc": {"body_html": f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe> embed'},
    "style_expression": {"body_html": '<div style="background:url(javascript:window.__xss=1)">styled</div>'},
    "headline_and_author": {"body_text": "plain", "headline": f"<img src=x onerror={RUN}>",
                            "author": f"<svg/onload={RUN}>"},
    "quote_with_speaker": {"body_text": f'"<script>{RUN}</script>," said <b onmouseover="{RUN}">Putin</b>.'},
    "hashtag_and_link": {"body_text": f"#Syria<img/src/onerror={RUN}> https://x.example/<script>{RUN}</script>"},
}



async def test_xss_payloads_never_run_in_the_dashboard(up: Up, browser: Browser) -> None:
    """Every payload is shown as an entry, no script ran, no dialog opened, no handler or javascript: URL in the DOM."""
    page = await browser.new_page()
    dialogs: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    expect.set_options(timeout=TIMEOUT * 1000)
    await page.goto(f"{up.gateway_url}/?story={STORY}")
    await expect(page.locator("#status")).to_have_text("online")
    poster = Poster(up.ingest_url)
    async with aiohttp.ClientSession() as session:
        for n, (name, fields) in enumerate(PAYLOADS.items()):
            # distinct words per entry, so that no payload is dropped as a near duplicate of another
            words = " ".join(f"w{n}x{k}" for k in range(10))
            body = {key: f"{value} {words}" if key.startswith("body_") else value for key, value in fields.items()}
            await poster.post(session, STORY, {"id": name, **body})
    for name in PAYLOADS:
        await expect(page.locator(f'[data-entry-id="{name}"]')).to_have_count(1)
    await page.locator('[data-entry-id="event_handlers"]').hover()
    await page.locator('[data-entry-id="javascript_url"]').click()

    assert await page.evaluate("() => window.__xss") is None
    assert dialogs == []
    unsafe = await page.evaluate("""() => {
        const found = [];
        for (const el of document.querySelectorAll('[data-entry-id], [data-entry-id] *')) {
            for (const attr of el.attributes) {
                const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
                if (attr.name.toLowerCase().startsWith('on') || value.startsWith('javascript:')
                    || (attr.name === 'srcdoc')) {
                    found.push(el.tagName + ' ' + attr.name + '=' + attr.value);
                }
            }
            if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) found.push(el.tagName);
        }
        return found;
    }""")
    assert unsafe == []
    shown = await page.locator('[data-entry-id="script_tag_text"]').inner_text()
    assert "<script>" in shown  # shown as text, not parsed
