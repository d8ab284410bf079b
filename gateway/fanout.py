"""One chunk of bytes to many sockets, with the system calls spread over threads.

Writing to a loopback or LAN socket costs 7–25 µs of kernel time per call, and that is most of a
fan-out's cost: one event to 10,000 clients is 10,000 ``send`` calls. ``os.write`` releases the
GIL, so threads make those calls in parallel on several cores while the event loop waits (the
fan-out still never awaits a client: the loop thread takes part and joins the others at once).

With the small C library built from ``_fanout.c`` (``pip install`` builds it when a C compiler is
there), one call makes all the writes of a thread's share with the GIL released throughout; without
it, ``map(os.write, …)`` takes the GIL back after every write, so threads mostly take turns.

The caller hands over only sockets whose transport holds nothing unsent, so writing straight to
the file descriptor keeps the byte order; what a socket did not take is returned, and the caller
gives that rest to the transport, which buffers it and reports errors as usual.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from array import array
from concurrent.futures import ThreadPoolExecutor, wait
from itertools import islice, repeat

__all__ = ["MIN_SOCKETS_PER_THREAD", "NATIVE", "FanoutWriter"]


def _load_native() -> ctypes.CDLL | None:
    spec = importlib.util.find_spec(__package__ + "._fanout") if __package__ else None
    if spec is None or not spec.origin:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
    except OSError:
        return None
    library.newswire_write_many.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                                            ctypes.c_void_p]
    library.newswire_write_many.restype = None
    return library


_NATIVE = _load_native()
#: Whether the C write loop is in use.
NATIVE = _NATIVE is not None

#: Below this many sockets per thread, handing work to a thread costs more than it saves.
MIN_SOCKETS_PER_THREAD = 256


def _write_range(chunk: bytes, fds: list[int], start: int, stop: int, unsent: list[tuple[int, int]]) -> None:
    """Write ``chunk`` to ``fds[start:stop]``; note ``(index, bytes written)`` for every short write.

    ``map`` runs the writes from C, so a socket costs the system call and little else; a failed write
    (full or broken socket) ends one ``map``, and the next starts after it.
    """
    size = len(chunk)
    position = start
    while position < stop:
        written: list[int] = []
        failed = False
        try:
            written.extend(map(os.write, islice(fds, position, stop), repeat(chunk)))
        except OSError:  # full (EAGAIN) or broken: the transport buffers the rest or reports the error
            failed = True
        if written.count(size) != len(written):
            unsent.extend((position + i, n) for i, n in enumerate(written) if n != size)
        position += len(written)
        if not failed:
            break
        unsent.append((position, 0))
        position += 1


def _write_range_native(chunk: bytes, fds: list[int], start: int, stop: int,
                        unsent: list[tuple[int, int]]) -> None:
    """:func:`_write_range` in one C call (the GIL is released for all of it)."""
    assert _NATIVE is not None
    part = array("i", islice(fds, start, stop))
    results = array("l", bytes(array("l").itemsize * len(part)))  # C longs, whatever their size here
    _NATIVE.newswire_write_many(chunk, len(chunk), part.buffer_info()[0], len(part), results.buffer_info()[0])
    size = len(chunk)
    if results.count(size) != len(part):
        unsent.extend((start + i, max(0, n)) for i, n in enumerate(results) if n != size)


class FanoutWriter:
    """``write(chunk, fds)`` with ``threads`` threads in all (the caller's included); ``close()`` ends them."""

    def __init__(self, threads: int = 1, min_per_thread: int = MIN_SOCKETS_PER_THREAD, native: bool = True) -> None:
        if threads < 1:
            raise ValueError(f"threads={threads}: must be at least 1")
        self.threads = threads
        self._write_range = _write_range_native if native and NATIVE else _write_range
        self.min_per_thread = max(1, min_per_thread)
        self._pool = (ThreadPoolExecutor(threads - 1, thread_name_prefix="newswire-fanout")
                      if threads > 1 else None)

    def write(self, chunk: bytes, fds: list[int]) -> list[tuple[int, int]]:
        """Write ``chunk`` to every non-blocking socket in ``fds``.

        Returns ``(index in fds, bytes written)`` for each socket that did not take the whole chunk
        (0 when it took nothing: full or broken), in no particular order.
        """
        unsent: list[tuple[int, int]] = []
        parts = min(self.threads, len(fds) // self.min_per_thread) if self._pool is not None else 1
        write_range = self._write_range
        if parts <= 1:
            write_range(chunk, fds, 0, len(fds), unsent)
            return unsent
        assert self._pool is not None
        step = -(-len(fds) // parts)
        futures = [self._pool.submit(write_range, chunk, fds, start, min(start + step, len(fds)), unsent)
                   for start in range(step, len(fds), step)]
        write_range(chunk, fds, 0, step, unsent)
        wait(futures)
        for future in futures:
            future.result()  # a bug in a thread surfaces here rather than vanishing
        return unsent

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
