"""The JSON Schema files: generated from the models, in step with them, and agreeing with them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from newswire.schemas import jsonschema_export
from newswire.schemas.jsonschema_export import JSON_DIR, MODELS, generate, main, stale_files, write


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((JSON_DIR / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_committed_files_equal_what_the_models_generate() -> None:
    """schemas/json/ never drifts from the models (rewrite: python -m newswire.schemas.jsonschema_export)."""
    assert stale_files() == []
    assert sorted(p.name for p in JSON_DIR.glob("*.json")) == sorted(generate())


def test_every_file_is_a_valid_draft_2020_12_schema() -> None:
    """Each file declares draft 2020-12, has its own $id and passes the metaschema."""
    ids = set()
    for name in MODELS:
        schema = validator(name).schema
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        ids.add(schema["$id"])
    assert len(ids) == len(MODELS)


def test_samples_cover_every_schema(samples: dict[str, list[Any]], rejects: dict[str, list[Any]]) -> None:
    """Every schema file is exercised by accepted and refused samples."""
    assert set(samples) == set(MODELS) == set(rejects)


@pytest.mark.parametrize("name", list(MODELS))
def test_messages_the_models_accept_validate(name: str, samples: dict[str, list[Any]]) -> None:
    """A message the services send validates against its schema file and parses back into the model."""
    check = validator(name)
    for value in samples[name]:
        errors = [e.message for e in check.iter_errors(value)]
        assert errors == [], (value, errors)
        MODELS[name].model_validate(value)


@pytest.mark.parametrize("name", list(MODELS))
def test_messages_the_models_refuse_are_invalid(name: str, rejects: dict[str, list[Any]]) -> None:
    """What the model refuses (its validator rules too: a body is required) the schema refuses."""
    check = validator(name)
    for value in rejects[name]:
        with pytest.raises(ValidationError):
            MODELS[name].model_validate(value)
        assert not check.is_valid(value), value


def test_write_rewrites_only_stale_files(tmp_path: Path) -> None:
    """The generator writes missing or edited files and leaves matching ones alone."""
    assert sorted(write(tmp_path)) == sorted(generate())
    (tmp_path / "entry.json").write_text("{}", encoding="utf-8")
    assert write(tmp_path) == ["entry.json"]
    assert stale_files(tmp_path) == []


def test_check_mode_reports_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--check` exits 1 and names the stale file, and writes nothing."""
    write(tmp_path)
    (tmp_path / "ws-error.json").unlink()
    assert main(["--dir", str(tmp_path), "--check"]) == 1
    assert "ws-error.json" in capsys.readouterr().err
    assert not (tmp_path / "ws-error.json").exists()
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--dir", str(tmp_path), "--check"]) == 0


def test_schema_ids_carry_the_schema_version() -> None:
    """$id names the model's schema version, so a breaking change gets new ids."""
    schema = jsonschema_export.schema_for("entry")
    assert schema["$id"].endswith(":entry")
    assert f":v{jsonschema_export.SCHEMA_VERSION}:" in schema["$id"]
