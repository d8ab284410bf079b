"""Gateway settings: read once from NEWSWIRE_GATEWAY_*, overridden by flags, refused when unusable."""

from __future__ import annotations

import pytest

from newswire.gateway.settings import GatewaySettings, SettingsError


def test_environment_sets_typed_values() -> None:
    """Variables are parsed into their types; lists are comma-separated; Kafka's come along."""
    settings = GatewaySettings.from_env({
        "NEWSWIRE_GATEWAY_PORT": "9999", "NEWSWIRE_GATEWAY_COMPRESSION": "yes",
        "NEWSWIRE_GATEWAY_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "NEWSWIRE_GATEWAY_COALESCE_MS": "2.5", "NEWSWIRE_GATEWAY_WRITE_THREADS": "2",
        "NEWSWIRE_GATEWAY_GC_FULL_INTERVAL_S": "0", "KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
        "NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS": "20"})
    assert settings.port == 9999 and settings.compression is True and settings.coalesce_ms == 2.5
    assert settings.write_threads == 2 and settings.gc_full_interval_s == 0
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.bootstrap == settings.kafka.bootstrap == "k1:9092,k2:9092"
    assert settings.kafka.fetch_max_wait_ms == 20


def test_a_plain_settings_object_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only from_env reads variables: an object built anywhere else has the defaults, whatever is set."""
    monkeypatch.setenv("NEWSWIRE_GATEWAY_PORT", "9999")
    assert GatewaySettings().port == 8765
    assert GatewaySettings.from_env().port == 9999


def test_flags_override_and_none_keeps_the_environment() -> None:
    """replace() applies given flags and ignores absent (None) ones."""
    settings = GatewaySettings.from_env({"NEWSWIRE_GATEWAY_PORT": "9999"}).replace(port=None, host="0.0.0.0")
    assert settings.port == 9999 and settings.host == "0.0.0.0"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("NEWSWIRE_GATEWAY_PORT", "eighty", "expected an integer"),
    ("NEWSWIRE_GATEWAY_MAX_CHANNELS", "0", "at least 1"),
    ("NEWSWIRE_GATEWAY_IDLE_TIMEOUT_S", "-1", "greater than 0"),
    ("NEWSWIRE_GATEWAY_COALESCE_MS", "5000", "between 0 and 1000"),
    ("NEWSWIRE_GATEWAY_JWT_KEY", "short", "at least 32 bytes"),
    ("NEWSWIRE_GATEWAY_WRITE_THREADS", "0", "at least 1"),
    ("NEWSWIRE_GATEWAY_GC_FULL_INTERVAL_S", "-5", "0 \\(off\\) or more"),
    ("NEWSWIRE_GATEWAY_GC_FULL_AFTER_CLOSED", "0", "at least 1"),
])
def test_unusable_values_name_the_variable(name: str, value: str, message: str) -> None:
    """A bad value raises SettingsError naming the variable and the rule."""
    with pytest.raises(SettingsError, match=message) as err:
        GatewaySettings.from_env({name: value})
    assert name in str(err.value)
