"""Subcommands of the ``newswire`` CLI: one module each, found automatically.

A module here defines ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code).
"""

from __future__ import annotations

import argparse
from datetime import tzinfo

#: Exit codes shared by every command.
EXIT_OK = 0
EXIT_FAILURE = 1  # the work failed (details on stderr)
EXIT_USAGE = 2  # bad arguments or input the command cannot use
EXIT_UNAVAILABLE = 69  # a service the command needs (Kafka) could not be reached (sysexits EX_UNAVAILABLE)


def add_bootstrap_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--bootstrap`` flag every Kafka client command takes, with one help text."""
    parser.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)")


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--data-dir`` flag of the commands that run the local Kafka, with one help text."""
    from newswire.settings import env_str

    parser.add_argument("--data-dir", metavar="DIR", default=env_str("NEWSWIRE_DATA_DIR", ".newswire"),
                        help="folder for newswire's local data, the local Kafka's log under DIR/kafka "
                             "(default $NEWSWIRE_DATA_DIR or .newswire)")


def add_near_duplicates_argument(p: argparse.ArgumentParser) -> None:
    """``--near-duplicates``: the processor's policy for entries that repeat an earlier one (see docs/processors.md)."""
    p.add_argument("--near-duplicates", choices=("mark", "drop"),
                   help="a new entry that repeats an earlier one of its story: 'mark' delivers it with duplicate_of "
                        "so dashboards can fold it, 'drop' leaves it out and records it on newswire.entries.dlq "
                        "(default: $NEWSWIRE_PROCESSOR_NEAR_DUPLICATES or mark)")


def add_tz_argument(parser: argparse.ArgumentParser) -> None:
    """``--tz``: the zone of times a page shows without one (and states no zone for)."""
    parser.add_argument("--tz", type=time_zone, metavar="ZONE",
                        help="read times the page shows without a zone in this IANA zone, e.g. Europe/Rome "
                             "(default: the zone the page's own data implies; with none, UTC and a warning)")


def time_zone(value: str) -> tzinfo:
    """An IANA zone name as a tzinfo, or an argparse error naming the problem."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Rome)") from None
