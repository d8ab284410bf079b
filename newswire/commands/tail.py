"""``newswire tail CHANNEL``: a terminal client that prints entries as they arrive."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from newswire.commands import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("tail", help="print a channel's entries as they arrive (e.g. story:demo)",
                       description="Subscribe to a gateway channel and print each entry as it arrives, "
                                   "reconnecting with `since` when the connection drops.")
    p.add_argument("channel", help="channel to follow, e.g. story:demo")
    p.add_argument("--url", default="ws://127.0.0.1:8765/ws", help="gateway websocket URL (default %(default)s)")
    p.add_argument("--since", type=int, default=None,
                   help="replay from after this seq (0: the whole history; default: only new entries)")
    p.add_argument("--json", action="store_true", help="print each message as one JSON line")
    p.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    p.add_argument("--token", help="access token for private channels")
    p.set_defaults(func=run)


def format_entry(msg: dict[str, Any]) -> str:
    """One entry message as rich-markup text: time, op, version, text, tags, people, places."""
    from rich.markup import escape

    entry = msg.get("entry") or {}
    when = str(entry.get("published_at", ""))[11:16]
    op = msg.get("op", "")
    colour = {"create": "green", "update": "yellow", "delete": "red"}.get(op, "white")
    head = f"[bold]{escape(when)}[/] [{colour}]{escape(op)}[/] #{msg.get('seq')} v{entry.get('version')}"
    lines = [head]
    text = str(entry.get("body_text", "")).strip()
    if text:
        lines.append("  " + escape(text))
    for quote in entry.get("quotes") or []:
        speaker = quote.get("speaker") or "unattributed"
        lines.append(f"  [italic]“{escape(str(quote.get('text', '')))}”[/] — {escape(str(speaker))}")
    extras = []
    if entry.get("hashtags"):
        extras.append("[cyan]" + escape(" ".join("#" + t for t in entry["hashtags"])) + "[/]")
    if entry.get("people"):
        extras.append("people: " + escape(", ".join(p.get("name", "") for p in entry["people"])))
    if entry.get("places"):
        extras.append("places: " + escape(", ".join(p.get("name", "") for p in entry["places"])))
    if extras:
        lines.append("  [dim]" + " | ".join(extras) + "[/]")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if ":" not in args.channel:
        print(f"newswire tail: {args.channel!r} is not a channel; try story:ID", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_tail(args))
    except KeyboardInterrupt:
        return EXIT_OK


async def _tail(args: argparse.Namespace) -> int:
    import websockets
    from rich.console import Console

    console = Console(no_color=args.no_color, highlight=False)
    since = args.since
    delay = 0.5
    connected_once = False
    while True:
        try:
            async with websockets.connect(args.url, open_timeout=10) as ws:
                connected_once = True
                delay = 0.5
                subscribe: dict[str, Any] = {"type": "subscribe", "channel": args.channel}
                if since is not None:
                    subscribe["since"] = since
                if args.token:
                    subscribe["token"] = args.token
                await ws.send(orjson.dumps(subscribe).decode())
                async for frame in ws:
                    msg = orjson.loads(frame)
                    if args.json:
                        print(orjson.dumps(msg).decode(), flush=True)
                    if msg.get("type") == "entry":
                        since = msg.get("seq", since)
                        if not args.json:
                            console.print(format_entry(msg))
                    elif msg.get("type") in ("error", "resync") and not args.json:
                        console.print(f"[red]{msg.get('type')}[/]: {msg.get('message') or msg.get('reason')}")
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
            if not connected_once:
                print(f"newswire tail: cannot reach {args.url}: {exc}", file=sys.stderr)
                return EXIT_UNAVAILABLE
            console.print(f"[dim]disconnected ({exc}); reconnecting in {delay:.1f} s[/]")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
