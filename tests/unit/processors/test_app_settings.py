"""The processor's faust app settings users rely on (no broker needed to build the app)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from newswire.processors.app import ProcessorSettings, create_app


def test_faust_data_folder_is_not_made_in_the_working_directory() -> None:
    """By default faust's folder lives under the temp folder: a worker leaves no `<group>-data` where it ran."""
    app = create_app(ProcessorSettings.from_env({}))
    assert Path(str(app.conf.datadir)).is_relative_to(tempfile.gettempdir())


def test_faust_data_folder_follows_the_setting(tmp_path: Path) -> None:
    """NEWSWIRE_PROCESSOR_DATA_DIR moves it."""
    settings = ProcessorSettings.from_env({"NEWSWIRE_PROCESSOR_DATA_DIR": str(tmp_path / "faust")})
    assert str(create_app(settings).conf.datadir) == str(tmp_path / "faust")


def test_every_processor_variable_is_read(tmp_path: Path) -> None:
    """The processor's variables and Kafka's land in one settings object."""
    settings = ProcessorSettings.from_env({
        "NEWSWIRE_PROCESSOR_GROUP": "g", "NEWSWIRE_PROCESSOR_NEAR_DUPLICATES": "drop",
        "NEWSWIRE_PROCESSOR_NINJS_TOPIC": "true", "NEWSWIRE_PROCESSOR_BATCH_MAX": "50",
        "KAFKA_BOOTSTRAP_SERVERS": "k:1", "NEWSWIRE_KAFKA_PARTITIONS": "8"})
    assert (settings.app_id, settings.near_duplicates, settings.ninjs_topic, settings.batch_max) == (
        "g", "drop", True, 50)
    assert (settings.kafka.bootstrap, settings.kafka.partitions) == ("k:1", 8)


def test_an_unknown_near_duplicate_policy_names_the_variable() -> None:
    from newswire.settings import SettingsError

    with pytest.raises(SettingsError, match="NEWSWIRE_PROCESSOR_NEAR_DUPLICATES='fold'"):
        ProcessorSettings.from_env({"NEWSWIRE_PROCESSOR_NEAR_DUPLICATES": "fold"})
