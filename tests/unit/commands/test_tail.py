"""The terminal rendering of `newswire tail`."""

from newswire.commands.tail import format_entry


def test_entry_shows_time_op_text_quotes_and_tags():
    """What an editor needs at a glance: time, op, seq, version, text, quote with speaker, hashtags, places."""
    msg = {"type": "entry", "seq": 3, "op": "update", "entry": {
        "published_at": "2016-03-14T18:40:00Z", "version": 2, "body_text": "Moscow will keep its airbase",
        "quotes": [{"text": "Safety first", "speaker": "Peskov"}], "hashtags": ["Putin"],
        "people": [{"name": "Vladimir Putin"}], "places": [{"name": "Latakia"}]}}
    text = format_entry(msg)
    assert "18:40" in text and "update" in text and "#3 v2" in text
    assert "Moscow will keep its airbase" in text and "Peskov" in text
    assert "#Putin" in text and "Latakia" in text and "Vladimir Putin" in text


def test_markup_in_entry_text_is_printed_literally():
    """Entry text is escaped, so "[bold]" in a post is shown, not interpreted."""
    msg = {"seq": 1, "op": "create", "entry": {"published_at": "", "version": 1, "body_text": "[red]not a style[/]"}}
    assert "\\[red]not a style" in format_entry(msg)
