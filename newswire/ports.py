"""Ports for servers started by ``newswire up``, the tests and the benches."""

from __future__ import annotations

import random
import socket

__all__ = ["free_port", "port_is_free"]

#: Ports handed out by :func:`free_port`: below Linux's default ephemeral range (32768-60999), from which
#: the kernel picks the local port of every outgoing connection. A port from that range can be taken by a
#: client's connection between the moment it was found free and the moment a server binds it.
_LISTEN_PORTS = range(20_000, 32_000)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now, outside the ephemeral range (see :data:`_LISTEN_PORTS`)."""
    for _ in range(200):
        port = random.choice(_LISTEN_PORTS)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # the whole range busy: let the kernel choose
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port``: connections of a stopped server in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True
