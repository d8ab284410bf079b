"""JSON Schema (draft 2020-12) files generated from the pydantic models.

The models in :mod:`newswire.schemas.model` and :mod:`newswire.schemas.ws` are the one
definition; ``schemas/json/*.json`` are what services written in other languages read.
Rewrite them after changing a model::

    python -m newswire.schemas.jsonschema_export          # rewrite schemas/json/
    python -m newswire.schemas.jsonschema_export --check  # exit 1 when a file differs

A unit test fails when the committed files and the models disagree.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from . import ws
from .model import SCHEMA_VERSION, DeadLetter, Entry, RawEntry, RawEvent

__all__ = [
    "DIALECT", "JSON_DIR", "MODELS", "schema_for", "render", "generate", "write", "stale_files", "main",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON_DIR = Path(__file__).with_name("json")

#: File name (without ``.json``) → model. The AsyncAPI document refers to these files.
MODELS: dict[str, type[BaseModel]] = {
    "raw-entry": RawEntry,
    "raw-event": RawEvent,
    "entry": Entry,
    "dead-letter": DeadLetter,
    "ws-subscribe": ws.Subscribe,
    "ws-unsubscribe": ws.Unsubscribe,
    "ws-auth": ws.Auth,
    "ws-ping": ws.Ping,
    "ws-subscribed": ws.Subscribed,
    "ws-unsubscribed": ws.Unsubscribed,
    "ws-entry": ws.EntryMessage,
    "ws-resync": ws.Resync,
    "ws-authenticated": ws.Authenticated,
    "ws-pong": ws.Pong,
    "ws-error": ws.Error,
}

_HAS_TEXT = r"\S"


def _body_required(schema: dict[str, Any]) -> None:
    """``RawEntry`` checks in a validator that body_text or body_html has some text; say so in the schema."""
    schema["anyOf"] = [
        {"required": [name], "properties": {name: {"type": "string", "pattern": _HAS_TEXT}}}
        for name in ("body_text", "body_html")
    ]


def _entry_id_required(schema: dict[str, Any]) -> None:
    """``RawEvent`` checks in a validator that the producer set ``entry.id``; say so in the schema."""
    entry = schema["properties"]["entry"]
    schema["properties"]["entry"] = {
        "allOf": [entry, {"required": ["id"], "properties": {"id": {"type": "string"}}}],
    }


def _raw_entry_defs(schema: dict[str, Any]) -> None:
    _body_required(schema["$defs"]["RawEntry"])
    _entry_id_required(schema)


def _type_required(schema: dict[str, Any]) -> None:
    """Every websocket frame carries ``type`` (the server always writes it; readers dispatch on it)."""
    schema["required"] = ["type", *(n for n in schema.get("required", []) if n != "type")]


#: Rules the models enforce in ``model_validator`` functions or by convention, which pydantic cannot export.
_EXTRA_RULES: dict[str, Callable[[dict[str, Any]], None]] = {
    "raw-entry": _body_required,
    "raw-event": _raw_entry_defs,
    **{name: _type_required for name in MODELS if name.startswith("ws-")},
}


def schema_for(name: str) -> dict[str, Any]:
    """The JSON Schema of ``MODELS[name]``: what the model accepts, as a self-contained document."""
    model = MODELS[name]
    body = copy.deepcopy(model.model_json_schema(mode="validation"))
    rule = _EXTRA_RULES.get(name)
    if rule:
        rule(body)
    return {
        "$schema": DIALECT,
        "$id": f"urn:newswire:schema:v{SCHEMA_VERSION}:{name}",
        **body,
    }


def render(schema: dict[str, Any]) -> str:
    """Stable text for a schema file (two-space indent, UTF-8, trailing newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name → text of every schema file."""
    return {f"{name}.json": render(schema_for(name)) for name in MODELS}


def stale_files(directory: Path = JSON_DIR) -> list[str]:
    """Names of files in ``directory`` that are missing or differ from what the models generate."""
    stale = []
    for filename, text in generate().items():
        path = directory / filename
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(filename)
    return stale


def write(directory: Path = JSON_DIR) -> list[str]:
    """Write every schema file into ``directory``; return the names of those that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = stale_files(directory)
    for filename, text in generate().items():
        if filename in changed:
            (directory / filename).write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newswire.schemas.jsonschema_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=JSON_DIR, help=f"output folder (default {JSON_DIR})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.dir)
        for filename in stale:
            print(f"stale: {args.dir / filename}", file=sys.stderr)
        return 1 if stale else 0
    for filename in write(args.dir):
        print(f"wrote {args.dir / filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
