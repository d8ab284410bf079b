"""Typed settings, read once at the edge from environment variables (and overridden by CLI flags).

Each service has one frozen settings object (:class:`~newswire.kafka.KafkaSettings`, the gateway's,
the processor's, the ingest API's). Its fields are declared with the variable they come from, but a
plain ``Settings()`` reads no environment: it has the defaults. The command that starts the service
calls ``Settings.from_env()`` once and passes the object in; tests call ``from_env({...})`` with a
dict instead of patching ``os.environ``. Every variable is documented in README.md ("Settings").
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Self

__all__ = ["SettingsError", "FromEnv", "FORMER_NAMES", "lookup", "env_str", "env_int", "env_float", "env_bool",
           "env_choice", "source", "var_str", "var_int", "var_float", "var_bool", "var_choice"]

#: The variables settings fields read while ``from_env`` builds an object; none otherwise.
_NOTHING: Mapping[str, str] = MappingProxyType({})
_SOURCE: ContextVar[Mapping[str, str]] = ContextVar("newswire_settings_source", default=_NOTHING)


def source() -> Mapping[str, str]:
    """Where a settings field reads its variable: the mapping ``from_env`` was given (empty outside it)."""
    return _SOURCE.get()


@contextmanager
def _reading(env: Mapping[str, str]) -> Iterator[None]:
    token = _SOURCE.set(env)
    try:
        yield
    finally:
        _SOURCE.reset(token)


class FromEnv:
    """``from_env``: build a settings dataclass from environment variables, once, at the edge."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """The settings from ``env`` (default ``os.environ``), with ``overrides`` (CLI flags) on top.
        A variable with an unusable value raises :class:`SettingsError` naming it."""
        with _reading(os.environ if env is None else env):
            return cls(**overrides)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


#: One prefix scheme, NEWSWIRE_<ROOM>_<NAME> (rooms: KAFKA, PROCESSOR, GATEWAY, INGEST), plus the standard
#: KAFKA_BOOTSTRAP_SERVERS. The former names of renamed variables are still read when the new one is unset.
FORMER_NAMES: dict[str, tuple[str, ...]] = {
    "NEWSWIRE_KAFKA_PARTITIONS": ("NEWSWIRE_PARTITIONS",),
    "NEWSWIRE_KAFKA_REPLICATION": ("NEWSWIRE_REPLICATION",),
    "NEWSWIRE_KAFKA_MIN_INSYNC_REPLICAS": ("NEWSWIRE_MIN_INSYNC_REPLICAS",),
    "NEWSWIRE_KAFKA_FETCH_MAX_WAIT_MS": ("NEWSWIRE_FETCH_MAX_WAIT_MS",),
    "NEWSWIRE_KAFKA_RETENTION_MS": ("NEWSWIRE_RETENTION_MS",),
    "NEWSWIRE_KAFKA_JAVA": ("NEWSWIRE_JAVA",),
    "NEWSWIRE_KAFKA_MVN": ("NEWSWIRE_MVN",),
    "NEWSWIRE_PROCESSOR_REBALANCE_TIMEOUT_S": ("NEWSWIRE_REBALANCE_TIMEOUT_S",),
    "NEWSWIRE_PROCESSOR_SESSION_TIMEOUT_S": ("NEWSWIRE_SESSION_TIMEOUT_S",),
    "NEWSWIRE_PROCESSOR_COMMIT_INTERVAL_MS": ("NEWSWIRE_COMMIT_INTERVAL_MS",),
    "NEWSWIRE_PROCESSOR_LINGER_MS": ("NEWSWIRE_PRODUCER_LINGER_MS",),
    "NEWSWIRE_PROCESSOR_MAX_BATCH_BYTES": ("NEWSWIRE_PRODUCER_MAX_BATCH_BYTES",),
    "NEWSWIRE_PROCESSOR_NINJS_TOPIC": ("NEWSWIRE_NINJS_TOPIC",),
}


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def lookup(name: str, env: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The variable's value (None: unset or empty) and the name it was found under: ``name``, else a former name."""
    values = _env(env)
    for candidate in (name, *FORMER_NAMES.get(name, ())):
        raw = values.get(candidate)
        if raw is not None and raw != "":
            return candidate, raw
    return name, None


def env_str(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    raw = lookup(name, env)[1]
    return default if raw is None else raw


def env_int(name: str, default: int, *, minimum: int | None = None, env: Mapping[str, str] | None = None) -> int:
    name, raw = lookup(name, env)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected an integer") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name}={value}: must be at least {minimum}")
    return value


def env_float(name: str, default: float, env: Mapping[str, str] | None = None) -> float:
    name, raw = lookup(name, env)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a number") from None


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    name, raw = lookup(name, env)
    if raw is None:
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: expected true or false")


def env_choice(name: str, default: str, choices: tuple[str, ...], env: Mapping[str, str] | None = None) -> str:
    name, raw = lookup(name, env)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise SettingsError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return value


# The same, for fields of settings classes: they read the mapping ``from_env`` was given, nothing outside it.

def var_str(name: str, default: str) -> str:
    return env_str(name, default, env=source())


def var_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return env_int(name, default, minimum=minimum, env=source())


def var_float(name: str, default: float) -> float:
    return env_float(name, default, env=source())


def var_bool(name: str, default: bool) -> bool:
    return env_bool(name, default, env=source())


def var_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    return env_choice(name, default, choices, env=source())
