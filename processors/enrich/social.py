"""Hashtags, mentions and links from the entry text and its embedded posts."""

from __future__ import annotations

import re
from typing import Any

from newswire.schemas import Entry

#: (The marker comes first, the "not after" test as a look-behind past it: the scan skips to markers in C.)
_HASHTAG = re.compile(r"#(?<![\w&/#]#)(\w[\w-]*\w|\w)")
_MENTION = re.compile(r"@(?<![\w@/.]@)(\w[\w.]*\w|\w)")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def social(entry: Entry) -> dict[str, Any]:
    """Hashtags (without ``#``), mentions (without ``@``) and links, in order of appearance."""
    texts = [entry.body_text] + [e.text for e in entry.embeds]
    hashtags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    for text in texts:  # each pattern runs only when its marker is there: most posts have none
        if "#" in text:
            hashtags += [h for h in _HASHTAG.findall(text) if not h.isdigit()]
        if "@" in text:
            mentions += _MENTION.findall(text)
        if "http" in text:
            links += [u.rstrip(".,;:!?") for u in _URL.findall(text)]
    for embed in entry.embeds:
        hashtags += embed.hashtags
        links += embed.links
        if embed.author and embed.author.startswith("@"):
            mentions.append(embed.author[1:])
    return {"hashtags": _unique(hashtags), "mentions": _unique(mentions), "links": _unique(links)}
