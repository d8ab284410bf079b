"""The AsyncAPI 3.0 document: its shape, its references and its agreement with the code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import newswire.schemas
from newswire.schemas import topics
from newswire.schemas.jsonschema_export import JSON_DIR, MODELS

DOC_PATH = Path(newswire.schemas.__file__).with_name("asyncapi.yaml")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def refs(node: Any) -> Iterator[str]:
    """Every $ref value in a YAML/JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: Any, pointer: str) -> Any:
    """Follow a JSON pointer (RFC 6901) such as ``/components/messages/entry``."""
    node = document
    for part in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def resolve_ref(ref: str, base: Path, document: Any) -> Any:
    """Resolve a local (``#/...``) or relative file (``./json/x.json#/...``) reference."""
    target, _, fragment = ref.partition("#")
    if target:
        path = (base.parent / target).resolve()
        assert path.is_file(), f"{ref}: no file {path}"
        document = json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" else yaml.safe_load(
            path.read_text(encoding="utf-8"))
    return resolve(document, fragment)


def test_document_is_asyncapi_3_shaped(doc: dict[str, Any]) -> None:
    """asyncapi 3.0.0 with info, servers, channels, operations and components."""
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    for section in ("servers", "channels", "operations", "components"):
        assert isinstance(doc[section], dict) and doc[section], section
    for name, op in doc["operations"].items():
        assert op["action"] in ("send", "receive"), name
        assert set(op["channel"]) == {"$ref"}, name


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    """Every $ref in the document points at something, in the document or in a schema file."""
    all_refs = list(refs(doc))
    assert len(all_refs) > 40
    for ref in all_refs:
        assert resolve_ref(ref, DOC_PATH, doc) is not None, ref


def test_a_broken_ref_is_detected(doc: dict[str, Any]) -> None:
    """The resolver used above fails on a missing target, so the check cannot pass vacuously."""
    with pytest.raises(KeyError):
        resolve_ref("#/components/messages/nope", DOC_PATH, doc)
    with pytest.raises(AssertionError):
        resolve_ref("./json/nope.json", DOC_PATH, doc)


def test_operation_messages_belong_to_their_channel(doc: dict[str, Any]) -> None:
    """AsyncAPI 3 requires an operation's messages to be messages of the channel it names."""
    for name, op in doc["operations"].items():
        channel_ref = op["channel"]["$ref"]
        for message in op.get("messages", []):
            assert message["$ref"].startswith(channel_ref + "/messages/"), (name, message)


def test_kafka_channels_are_the_topic_constants(doc: dict[str, Any]) -> None:
    """The Kafka channels are exactly the topics the code uses, each keyed by the story id."""
    kafka = {c["address"] for c in doc["channels"].values() if c["servers"] == [{"$ref": "#/servers/kafka"}]}
    assert kafka == {*topics.ALL, topics.NINJS}
    for message in ("rawEvent", "entry"):
        key = doc["components"]["messages"][message]["bindings"]["kafka"]["key"]
        assert resolve_ref(key["$ref"], DOC_PATH, doc)["type"] == "string"


def test_every_generated_schema_is_described(doc: dict[str, Any]) -> None:
    """Each JSON Schema file except the bare raw entry (inside raw-event) is a message payload."""
    payloads = {m["payload"]["$ref"] for m in doc["components"]["messages"].values() if "$ref" in m["payload"]}
    assert payloads == {f"./json/{name}.json" for name in MODELS} - {"./json/raw-entry.json"}
    assert all((JSON_DIR / f"{name}.json").exists() for name in MODELS)


def test_websocket_and_sse_channels(doc: dict[str, Any]) -> None:
    """The gateway's /ws and /sse paths are channels with the server messages."""
    channels = {c["address"]: c for c in doc["channels"].values()}
    assert set(channels["/ws"]["messages"]) >= {"subscribe", "unsubscribe", "subscribed", "entryMessage",
                                                "resync", "error"}
    assert set(channels["/sse"]["messages"]) == {"subscribed", "entryMessage", "resync", "error"}
