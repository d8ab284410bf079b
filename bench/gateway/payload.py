"""The benchmark's entry: the shape of a processed live-blog entry, about 1.5 KB as JSON."""

from __future__ import annotations

import time
from typing import Any

BODY = ("Russian President Vladimir Putin has ordered the withdrawal of the main part of Russia's military "
        "contingent from Syria, saying the objectives had largely been achieved. ") * 7


def bench_entry(story: str, seq: int) -> dict[str, Any]:
    return {"schema_version": 1, "id": f"{story}-{seq}", "story": story, "version": 1, "op": "create",
            "seq": seq, "epoch": "bench", "ts": int(time.time() * 1000), "published_at": "2026-03-14T19:16:00Z",
            "body_text": BODY[:1150], "body_html": "", "quotes": [], "embeds": [],
            "hashtags": ["Syria", "Russia"], "mentions": [], "links": [], "people": [{"name": "Vladimir Putin"}],
            "places": [{"name": "Syria", "country_code": "SY", "lat": 35.0, "lon": 38.0}], "organisations": [],
            "language": "en", "keywords": [], "fingerprint": "", "source": "bench"}
