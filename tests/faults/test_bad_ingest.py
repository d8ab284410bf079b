"""Bad ingest API bodies not covered by tests/integration/producers: a clear 400, and the next good request is served.

Also: bearer tokens never reach any service's log, and the token compare is constant-time.
"""

from __future__ import annotations

import hmac
from typing import Any

import aiohttp
import pytest
import websockets
from aiohttp.test_utils import TestClient, TestServer

from newswire.producers import ingest
from newswire.schemas import RawEvent

from .conftest import TOKEN, Up, entry_body, wait_until

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _nested(depth: int) -> bytes:
    return b'{"body_text":"deep","author":' + b"[" * depth + b"]" * depth + b"}"


BAD_BODIES: dict[str, tuple[bytes, str]] = {
    # case: (request body, words the 400 answer must contain)
    "deep_nesting": (_nested(200), "nested deeper"),
    "duplicate_keys": (b'{"body_text":"a","body_text":"b"}', "duplicate"),
    "deep_nesting_past_the_parser": (_nested(5000), "JSON"),
    "huge_body_text": (b'{"body_text":"' + b"x" * 250_000 + b'"}', "body_text"),
    "huge_author": (b'{"body_text":"ok","author":"' + b"a" * 10_000 + b'"}', "author"),
    "huge_number": (b'{"body_text":"ok","key_event":' + b"9" * 5000 + b"}", "JSON"),
    "invalid_utf8_in_a_string": (b'{"body_text":"caf\xc3\x28"}', "UTF-8"),
    "lone_surrogate_escape": (b'{"body_text":"\\ud800"}', "JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_bad_body_is_400_with_the_reason_and_the_next_request_is_accepted(up: Up, case: str) -> None:
    """Each bad body gets 400 naming the problem; a good entry right after it gets 202."""
    body, words = BAD_BODIES[case]
    url = f"{up.ingest_url}/v1/stories/bad-ingest/entries"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={**AUTH, "Content-Type": "application/json"}) as resp:
            answer = await resp.json()
            assert resp.status == 400, answer
        assert words in answer["message"] + str(answer.get("fields", "")), answer
        async with session.post(url, json=entry_body(len(case), "bad-ingest"), headers=AUTH) as resp:
            assert resp.status == 202, await resp.text()


async def test_tokens_never_appear_in_any_log(up: Up) -> None:
    """Good and wrong bearer tokens, and a token in a websocket URL, leave no trace in the logs of any part."""
    wrong = "wrong-token-3f9a1c77be"
    query_token = "query-token-8d2e4a61f0"
    url = f"{up.ingest_url}/v1/stories/secrets/entries"
    async with aiohttp.ClientSession() as session:
        for token in (TOKEN, wrong, f"{TOKEN}x"):
            async with session.post(url, json=entry_body(1, "secrets"), headers={"Authorization": f"Bearer {token}"}):
                pass
        async with session.post(url, data=b"{bad", headers={"Authorization": f"Bearer {wrong}",
                                                            "Content-Type": "application/json"}):
            pass
    async with websockets.connect(f"{up.ws_url}?token={query_token}") as ws:
        await ws.send('{"type":"auth","token":"' + query_token + '"}')
        assert '"error"' in await ws.recv()
    await wait_until("the requests logged", lambda: up.log().count("/v1/stories/secrets/entries") >= 4)
    log = up.log()
    for secret in (TOKEN, wrong, query_token):
        assert secret not in log


class _NoKafka:
    """An event sink that is never ready: the request stops right after the auth check."""

    source = "test"
    ready = False

    async def send_event(self, event: RawEvent) -> None:
        raise AssertionError("not reached")


async def test_token_compare_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bearer token is compared with hmac.compare_digest, for a right and a wrong token alike."""
    calls: list[tuple[Any, Any]] = []
    compare = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(ingest.hmac, "compare_digest", spy)
    app = ingest.create_app(_NoKafka(), token="the-right-token")
    async with TestClient(TestServer(app)) as client:
        wrong = await client.post("/v1/stories/s/entries", json={"body_text": "x"},
                                  headers={"Authorization": "Bearer a-wrong-token"})
        right = await client.post("/v1/stories/s/entries", json={"body_text": "x"},
                                  headers={"Authorization": "Bearer the-right-token"})
    assert (wrong.status, right.status) == (401, 503)
    assert calls == [(b"a-wrong-token", b"the-right-token"), (b"the-right-token", b"the-right-token")]
