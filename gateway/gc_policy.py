"""Garbage collection without long pauses in the fan-out.

Python's automatic full (generation 2) collection walks every tracked object: with thousands of
connections (about 60 objects each) and a day of history that is 300,000 objects or more, and a
pause of 0.1–2 s on a busy 2-core machine, every few seconds while entries arrive (each held entry
adds survivors). Every client waiting for the next write waits for it too.

So the gateway takes the full collection over: the history read at start-up is frozen (entries
hold no reference cycles, so trimmed ones are still freed at once), automatic collection keeps the
cheap young generations only, and a full collection runs at most every ``interval_s`` seconds,
sooner once ``closed_limit`` connections have closed since the last one (closed connections leave
reference cycles only a full collection frees, so memory stays bounded in a reconnect storm).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

__all__ = ["FullCollections", "full_collection_due"]

#: Collections of generation 1 before Python would consider a full one: never, in practice.
NEVER = 1 << 30


def full_collection_due(now: float, last: float, interval_s: float, closed: int, closed_limit: int) -> bool:
    """Whether the next full collection is due: ``interval_s`` passed since ``last``, or ``closed_limit``
    connections closed since."""
    return now - last >= interval_s or closed >= closed_limit


@dataclass
class FullCollections:
    """Full collections on a schedule instead of Python's; ``stop()`` gives the process its own back."""

    interval_s: float
    closed_limit: int
    last: float = 0.0
    closed: int = 0
    running: bool = False
    #: The thresholds to restore; None when another instance in this process already took collection over.
    _saved: tuple[int, int, int] | None = field(default=None, repr=False)

    def start(self, now: float) -> None:
        gen0, gen1, gen2 = gc.get_threshold()
        if gen2 != NEVER:
            self._saved = (gen0, gen1, gen2)
            gc.set_threshold(gen0, gen1, NEVER)
        self.last = now
        self.running = True

    def freeze_startup(self) -> None:
        """Keep what start-up built (history) out of every later collection."""
        gc.collect()
        gc.freeze()

    def connection_closed(self) -> None:
        self.closed += 1

    def tick(self, now: float) -> bool:
        """Run a full collection when due; True when it ran."""
        if not self.running or not full_collection_due(now, self.last, self.interval_s, self.closed,
                                                            self.closed_limit):
            return False
        gc.collect()
        self.last, self.closed = now, 0
        return True

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            gc.unfreeze()
            self._saved = None
        self.running = False
