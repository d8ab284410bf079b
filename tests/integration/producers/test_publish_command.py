"""`newswire publish` on real pages: the time-zone warning, --tz, and a zone name it does not know."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.schemas import topics
from support import newswire, read_topic

pytestmark = pytest.mark.integration

PAGES = Path(__file__).parents[2] / "data" / "real" / "pages"


async def test_a_page_without_zone_evidence_is_published_with_a_warning_or_read_in_tz(broker: str) -> None:
    """Without --tz the times are taken as UTC and stderr says so; with --tz Europe/Warsaw "19:30" is 17:30Z."""
    page = str(PAGES / "sportowefakty.wp.pl.html")
    code, _, err = await newswire("publish", page, "--story", "speedway-utc", "--bootstrap", broker)
    assert code == 0 and "warning: the page shows times without a time zone (19:30)" in err and "--tz" in err
    code, out, err = await newswire("publish", page, "--story", "speedway-warsaw", "--tz", "Europe/Warsaw",
                                    "--bootstrap", broker)
    assert code == 0 and "warning" not in err and "published 53 entries" in out + err
    import orjson

    raw = [orjson.loads(value) for key, value in await read_topic(broker, topics.RAW)
           if key == b"speedway-warsaw"]
    times = {event["entry"]["published_at"] for event in raw
             if event["entry"]["body_text"].startswith("Piotr Protasiewicz pojedzie teraz")}
    assert times == {"2020-09-28T17:30:00Z"}


async def test_an_unknown_zone_is_a_usage_error() -> None:
    code, _, err = await newswire("publish", str(PAGES / "corkbeo.ie.html"), "--tz", "Mars/Olympus")
    assert code == 2 and "unknown time zone 'Mars/Olympus'" in err
