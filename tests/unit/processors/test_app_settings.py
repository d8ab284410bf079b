"""The processor's faust app settings users rely on (no broker needed to build the app)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from newswire.processors.app import ProcessorSettings, create_app


def test_faust_data_folder_is_not_made_in_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """By default faust's folder lives under the temp folder: a worker leaves no `<group>-data` where it ran."""
    monkeypatch.delenv("NEWSWIRE_PROCESSOR_DATA_DIR", raising=False)
    settings = ProcessorSettings()
    app = create_app(settings)
    assert Path(str(app.conf.datadir)).is_relative_to(tempfile.gettempdir())


def test_faust_data_folder_follows_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSWIRE_PROCESSOR_DATA_DIR moves it."""
    monkeypatch.setenv("NEWSWIRE_PROCESSOR_DATA_DIR", str(tmp_path / "faust"))
    assert str(create_app(ProcessorSettings()).conf.datadir) == str(tmp_path / "faust")
