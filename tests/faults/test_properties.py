"""Property tests: no input makes the parsers or the gateway protocol core raise anything but their documented error."""

from __future__ import annotations

from datetime import date

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire.gateway.protocol import BadRecord, Hub, parse_channel
from newswire.gateway.settings import GatewaySettings
from newswire.producers.detect import DecodeError, decode_text, parse_document
from newswire.producers.feeds import parse_feed
from newswire.producers.html import parse_html
from newswire.producers.markdown import ParseError, parse_markdown
from newswire.producers.ndjson import parse_ndjson

TODAY = date(2026, 3, 14)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# fragments that steer generated documents into the parsers' interesting branches
_MD_PIECES = st.sampled_from([
    "**19:16 GMT**", "**25:99 GMT**", "**07:00 XYZ**", "**00:00**", "Monday 14 March 2016", "> quote",
    "— Vladimir Putin", "#Syria", "@user", "[link](http://x)", "pic.twitter.com/x", "\n", "\n\n", "**", "`", "*",
])
_HTML_PIECES = st.sampled_from([
    "<html>", "<body>", "<article>", "</article>", '<time datetime="2016-03-14T19:16:00Z">19:16</time>',
    '<time datetime="nope">', "19:16 GMT", "25:61 GMT", "<p>text</p>", "<blockquote>", "<script>x</script>",
    '<div class="pinned">', "<iframe src=x>", "<!--", "<![CDATA[", "&amp;", "&#0;", "\ufeff",
])
_FEED_PIECES = st.sampled_from([
    '<?xml version="1.0"?>', "<rss>", "<channel>", "<item>", "<title>t</title>", "<description>d</description>",
    "<pubDate>Mon, 14 Mar 2016 19:16:00 GMT</pubDate>", "<pubDate>bad</pubDate>", "</item>", "</channel>",
    "</rss>", '<feed xmlns="http://www.w3.org/2005/Atom">', "<entry>", "</entry>", "</feed>", "<!DOCTYPE x [",
])


def _documents(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(pieces, st.text(max_size=40)), max_size=30).map("".join)


@PROPERTY
@given(_documents(_MD_PIECES))
def test_parse_markdown_raises_only_parse_error(text: str) -> None:
    """parse_markdown returns a page or raises ParseError for any text."""
    try:
        parse_markdown(text, "story", today=TODAY)
    except ParseError:
        pass


@PROPERTY
@given(_documents(_HTML_PIECES))
def test_parse_html_raises_only_parse_error(text: str) -> None:
    """parse_html returns a page or raises ParseError for any text."""
    try:
        parse_html(text, "story", today=TODAY)
    except ParseError:
        pass


@PROPERTY
@given(_documents(_FEED_PIECES))
def test_parse_feed_raises_only_parse_error(text: str) -> None:
    """parse_feed returns a page or raises ParseError for any text."""
    try:
        parse_feed(text, "story")
    except ParseError:
        pass


_JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  # what JSON can carry
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4), max_leaves=12)


@PROPERTY
@given(st.lists(st.one_of(st.text(max_size=60), _JSON_VALUES.map(lambda v: orjson.dumps(v).decode()),
                          st.fixed_dictionaries({"body_text": _JSON_TEXT}, optional={"id": _JSON_TEXT})
                          .map(lambda v: orjson.dumps(v).decode())), max_size=8).map("\n".join))
def test_parse_ndjson_reports_bad_lines_instead_of_raising(text: str) -> None:
    """parse_ndjson never raises: each non-blank line is an entry or a LineError."""
    page = parse_ndjson(text)
    assert len(page.entries) + len(page.errors) == sum(1 for line in text.splitlines() if line.strip())


@PROPERTY
@given(st.binary(max_size=200))
def test_decode_text_raises_only_decode_error(data: bytes) -> None:
    """decode_text returns text or raises DecodeError for any bytes."""
    try:
        assert isinstance(decode_text(data), str)
    except DecodeError:
        pass


@PROPERTY
@given(st.one_of(_documents(_MD_PIECES), _documents(_HTML_PIECES), _documents(_FEED_PIECES), st.text()))
def test_parse_document_raises_only_parse_error(text: str) -> None:
    """Format detection plus parsing returns a page or raises ParseError for any text."""
    try:
        parse_document(text, "story", today=TODAY)
    except ParseError:
        pass


_CLIENT_MESSAGES = st.one_of(
    st.binary(max_size=100),
    st.text(max_size=100),
    _JSON_VALUES.map(orjson.dumps),
    st.fixed_dictionaries({"type": st.sampled_from(["subscribe", "unsubscribe", "auth", "ping", "nope"])},
                          optional={"channel": st.one_of(st.text(max_size=30), st.sampled_from(
                                        ["story:x", "tag:y", "all", "prefix:", "place:", "story:" + "z" * 300])),
                                    "since": _JSON_VALUES, "token": _JSON_VALUES, "id": _JSON_VALUES,
                                    "epoch": _JSON_VALUES}).map(orjson.dumps),
)


@PROPERTY
@given(st.lists(_CLIENT_MESSAGES, min_size=1, max_size=10))
def test_hub_receive_answers_any_message_without_raising(messages: list[bytes | str]) -> None:
    """Any client message gets handled: a reply, an error message or a close, never an exception."""
    hub = Hub(GatewaySettings())
    hub.ingest({"schema_version": 1, "id": "a", "story": "x", "version": 1, "op": "create", "seq": 1,
                "epoch": "E1", "ts": 1, "published_at": "2026-03-14T19:16:00Z", "body_text": "t",
                "body_html": "", "hashtags": ["y"], "people": [], "places": []})
    session = hub.open_session()
    for message in messages:
        hub.receive(session, message)
        flush = hub.flush()
        for decoded in flush.messages_for(session):
            assert decoded["type"] in {"subscribed", "unsubscribed", "entry", "resync", "error", "pong",
                                       "authenticated"}, decoded


@PROPERTY
@given(st.one_of(st.none(), st.binary(max_size=100), _JSON_VALUES.map(orjson.dumps),
                 st.fixed_dictionaries({"story": _JSON_VALUES, "id": _JSON_VALUES, "epoch": _JSON_VALUES,
                                        "seq": _JSON_VALUES, "version": _JSON_VALUES, "op": _JSON_VALUES,
                                        "ts": _JSON_VALUES}).map(orjson.dumps)))
def test_hub_ingest_bytes_raises_only_bad_record(value: bytes | None) -> None:
    """A newswire.entries value the gateway cannot serve raises BadRecord, nothing else."""
    hub = Hub(GatewaySettings())
    try:
        hub.ingest_bytes(value, 0)
    except BadRecord:
        assert hub.counters.bad_records == 1


@PROPERTY
@given(st.text(max_size=250))
def test_parse_channel_raises_only_value_error(name: str) -> None:
    """A channel name parses into (kind, arg) or raises ValueError."""
    try:
        kind, _ = parse_channel(name)
    except ValueError:
        return
    assert kind in {"story", "tag", "place", "person", "prefix", "all"}
