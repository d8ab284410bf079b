"""The gateway's settings: one typed object, read once from ``NEWSWIRE_GATEWAY_*`` (flags override).

Every variable is documented in docs/gateway.md ("Settings").
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from newswire.kafka import KafkaSettings
from newswire.settings import FromEnv, SettingsError, var_bool, var_float, var_int, var_str

__all__ = ["GatewaySettings", "SettingsError"]

P = "NEWSWIRE_GATEWAY_"


def _list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in var_str(name, "").split(",") if part.strip())


def _positive_float(name: str, default: float) -> float:
    value = var_float(name, default)
    if value <= 0:
        raise SettingsError(f"{name}={value}: must be greater than 0")
    return value


@dataclass(frozen=True)
class GatewaySettings(FromEnv):
    """Everything the gateway can be tuned with; defaults suit one newsroom on one machine."""

    host: str = field(default_factory=lambda: var_str(P + "HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: var_int(P + "PORT", 8765, minimum=0))
    #: How topics are made when the gateway must create newswire.entries itself (read once with the rest).
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    #: Kafka to read from: the ``kafka`` settings' bootstrap unless given (a flag, a test's broker)
    bootstrap: str = ""
    workers: int = field(default_factory=lambda: var_int(P + "WORKERS", 1, minimum=1))
    #: History per story: at most this many entries, none older than the age (whole day's live blog and more).
    history_max_entries: int = field(
        default_factory=lambda: var_int(P + "HISTORY_MAX_ENTRIES", 10_000, minimum=1))
    history_max_age_s: float = field(
        default_factory=lambda: _positive_float(P + "HISTORY_MAX_AGE_S", 48 * 3600))
    #: Everything due to one client within this window goes out in one write.
    coalesce_ms: float = field(default_factory=lambda: var_float(P + "COALESCE_MS", 5.0))
    #: Sessions written per step of a fan-out; between steps the event loop reads Kafka and clients, and
    #: entries read meanwhile join the writes not made yet (see delivery.py).
    write_slice: int = field(default_factory=lambda: var_int(P + "WRITE_SLICE", 1000, minimum=1))
    #: Threads writing one fan-out in parallel (the event loop's included): a socket write is a system call
    #: that releases the GIL, and those calls are most of a fan-out's cost. Two (where there are two cores):
    #: beside a broker and a processor on the same cores, a round of writes then ends sooner (bench/e2e.py,
    #: 1,000 clients at 200/s: post→screen p99 67-115 ms against 107-118 with one).
    write_threads: int = field(default_factory=lambda: var_int(P + "WRITE_THREADS", min(2, os.cpu_count() or 1),
                                                                minimum=1))
    #: Full garbage collections at most this often (see gc_policy.py); 0: Python's automatic ones.
    gc_full_interval_s: float = field(default_factory=lambda: var_float(P + "GC_FULL_INTERVAL_S", 300))
    #: ... or sooner, once this many connections closed since the last one.
    gc_full_after_closed: int = field(
        default_factory=lambda: var_int(P + "GC_FULL_AFTER_CLOSED", 5000, minimum=1))
    #: A client whose unsent output passes this many bytes is closed with code 4008.
    max_buffer_bytes: int = field(
        default_factory=lambda: var_int(P + "MAX_BUFFER_BYTES", 1 << 20, minimum=1024))
    max_frame_bytes: int = field(
        default_factory=lambda: var_int(P + "MAX_FRAME_BYTES", 64 * 1024, minimum=256))
    max_channels: int = field(default_factory=lambda: var_int(P + "MAX_CHANNELS", 100, minimum=1))
    max_connections: int = field(default_factory=lambda: var_int(P + "MAX_CONNECTIONS", 30_000, minimum=1))
    max_new_connections_per_s: float = field(
        default_factory=lambda: _positive_float(P + "MAX_NEW_CONNECTIONS_PER_S", 5_000))
    max_messages_per_s: float = field(default_factory=lambda: _positive_float(P + "MAX_MESSAGES_PER_S", 50))
    idle_timeout_s: float = field(default_factory=lambda: _positive_float(P + "IDLE_TIMEOUT_S", 300))
    #: Protocol pings every this many seconds; no pong within half of it closes the connection.
    ping_interval_s: float = field(default_factory=lambda: var_float(P + "PING_INTERVAL_S", 30))
    #: permessage-deflate costs memory per connection; off unless asked for.
    compression: bool = field(default_factory=lambda: var_bool(P + "COMPRESSION", False))
    #: HMAC key for JWTs (HS256); empty: no token is ever valid, so private channels stay closed.
    jwt_key: str = field(default_factory=lambda: var_str(P + "JWT_KEY", ""))
    #: Glob patterns of story ids that need a token (``story:`` and ``all`` only).
    private_stories: tuple[str, ...] = field(default_factory=lambda: _list(P + "PRIVATE_STORIES"))
    #: Browser origins allowed to connect (``Origin`` header); empty allows any.
    allowed_origins: tuple[str, ...] = field(default_factory=lambda: _list(P + "ALLOWED_ORIGINS"))
    #: Seconds a closing slow or refused client gets to read its close frame before the socket is dropped.
    close_grace_s: float = field(default_factory=lambda: _positive_float(P + "CLOSE_GRACE_S", 5))

    def __post_init__(self) -> None:
        if not self.bootstrap:
            object.__setattr__(self, "bootstrap", self.kafka.bootstrap)
        if self.coalesce_ms < 0 or self.coalesce_ms > 1000:
            raise SettingsError(f"{P}COALESCE_MS={self.coalesce_ms}: must be between 0 and 1000")
        if self.gc_full_interval_s < 0:
            raise SettingsError(f"{P}GC_FULL_INTERVAL_S={self.gc_full_interval_s}: must be 0 (off) or more")
        if self.jwt_key and len(self.jwt_key.encode()) < 32:
            raise SettingsError(f"{P}JWT_KEY: an HMAC key needs at least 32 bytes")

    def replace(self, **changes: object) -> GatewaySettings:
        """A copy with some values changed (CLI flags; ``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
