"""Ports for servers started by tests, benchmarks and ``newswire up``."""

from __future__ import annotations

import socket

import pytest

from newswire.ports import free_port


def test_free_port_is_bindable_and_outside_the_ephemeral_range() -> None:
    """The port can be listened on, and no outgoing connection can take it first (Linux ephemeral ports)."""
    port = free_port()
    assert not 32768 <= port <= 60999
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()


def test_free_port_skips_a_port_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port something already listens on is never handed out: with one of two candidates busy, the other."""
    import newswire.ports

    with socket.socket() as busy:
        for candidate in range(24_000, 25_000, 2):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", candidate + 1))
                except OSError:
                    continue
            try:
                busy.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            break
        busy.listen()
        taken = busy.getsockname()[1]
        monkeypatch.setattr(newswire.ports, "_LISTEN_PORTS", range(taken, taken + 2))
        assert {free_port() for _ in range(20)} == {taken + 1}
