"""The ``newswire`` command line: ``newswire --help`` lists the subcommands."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from newswire import __version__, commands
from newswire.commands import EXIT_USAGE
from newswire.logs import setup_logging
from newswire.settings import SettingsError

#: Shown first in --help, in this order; other command modules follow alphabetically.
ORDER = ["up", "publish", "watch", "ingest", "processor", "gateway", "broker", "tail", "topics"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswire",
        description="Real-time event streaming for live news: live blogs → Kafka → websocket dashboards.",
    )
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="log verbosity (default INFO)")
    parser.add_argument("--log-format", default="text", choices=["text", "json"],
                        help="text for people, json for log collectors (default text)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    for name in names:
        importlib.import_module(f"newswire.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    setup_logging(args.log_level, args.log_format)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"newswire {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
