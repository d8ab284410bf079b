"""The fan-out writer: one chunk to many sockets, short writes handed back to the caller."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from newswire.gateway.fanout import NATIVE, FanoutWriter


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    made = []
    for _ in range(12):
        server, client = socket.socketpair()
        server.setblocking(False)
        client.setblocking(False)
        made.append((server, client))
    yield made
    for server, client in made:
        server.close()
        client.close()


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            part = sock.recv(1 << 20)
        except BlockingIOError:
            return data
        if not part:
            return data
        data += part


def fill(sock: socket.socket) -> int:
    """Write to ``sock`` until the kernel takes no more; return how much it took."""
    sent = 0
    while True:
        try:
            sent += sock.send(b"x" * 65536)
        except BlockingIOError:
            return sent


@pytest.mark.parametrize("native", [True, False], ids=["c-loop", "python"])
@pytest.mark.parametrize("threads", [1, 3])
def test_every_socket_receives_the_chunk_once(pairs: list[tuple[socket.socket, socket.socket]],
                                              threads: int, native: bool) -> None:
    """With one thread or several, each socket gets the whole chunk exactly once, and nothing is handed back."""
    writer = FanoutWriter(threads, min_per_thread=1, native=native)
    try:
        chunk = b"frame-bytes" * 100
        assert writer.write(chunk, [s.fileno() for s, _ in pairs]) == []
        assert writer.write(chunk, [s.fileno() for s, _ in pairs]) == []
    finally:
        writer.close()
    assert [read_all(c) for _, c in pairs] == [chunk * 2] * len(pairs)


@pytest.mark.parametrize("native", [True, False], ids=["c-loop", "python"])
@pytest.mark.parametrize("threads", [1, 2])
def test_full_and_broken_sockets_are_handed_back_and_the_others_still_written(
        pairs: list[tuple[socket.socket, socket.socket]], threads: int, native: bool) -> None:
    """A socket that takes nothing (full) or fails (peer gone) comes back with 0 bytes written; every other
    socket, including those after it, gets the whole chunk."""
    full, gone = pairs[3], pairs[8]
    fill(full[0])
    gone[1].close()
    writer = FanoutWriter(threads, min_per_thread=1, native=native)
    chunk = b"y" * 1000
    try:
        unsent = writer.write(chunk, [s.fileno() for s, _ in pairs])
    finally:
        writer.close()
    assert sorted(unsent) == [(3, 0), (8, 0)]
    for i, (_, client) in enumerate(pairs):
        if i not in (3, 8):
            assert read_all(client) == chunk


@pytest.mark.parametrize("native", [True, False], ids=["c-loop", "python"])
def test_a_short_write_reports_how_much_the_socket_took(pairs: list[tuple[socket.socket, socket.socket]],
                                                        native: bool) -> None:
    """A socket with room for part of the chunk takes that part, and the writer says how much it was."""
    server, client = pairs[0]
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    chunk = b"z" * (4 << 20)
    writer = FanoutWriter(native=native)
    ((index, written),) = writer.write(chunk, [server.fileno()])
    assert index == 0 and 0 < written < len(chunk)
    assert len(read_all(client)) == written


def _require_native() -> None:
    """The C write loop must be there when the build asked for it (``make test`` does: NEWSWIRE_BUILD_EXTENSION=yes);
    a machine without a compiler that did not ask skips what needs it."""
    if not NATIVE and os.environ.get("NEWSWIRE_BUILD_EXTENSION") != "yes":
        pytest.skip("the C write loop is not built and NEWSWIRE_BUILD_EXTENSION=yes was not asked for")


def test_the_c_write_loop_is_built() -> None:
    """The install builds the C write loop (gcc is part of the set-up); without it writer threads take turns."""
    _require_native()
    assert NATIVE


def test_threads_must_be_positive() -> None:
    """Zero threads is a clear error, not a writer that writes nothing."""
    with pytest.raises(ValueError, match="at least 1"):
        FanoutWriter(0)


def test_a_peer_gone_is_an_error_not_a_signal() -> None:
    """Writing to a socket whose peer closed gives EPIPE in the results; the process gets no SIGPIPE (the C loop
    sends with MSG_NOSIGNAL), checked with SIGPIPE set to its default action, which would kill the process."""
    import signal
    import socket

    _require_native()
    assert NATIVE
    left, right = socket.socketpair()
    right.close()
    left.setblocking(False)
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        unsent = FanoutWriter().write(b"x" * 10, [left.fileno()])
    finally:
        signal.signal(signal.SIGPIPE, previous)
        left.close()
    assert unsent == [(0, 0)]
