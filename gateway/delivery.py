"""Rolling delivery: each flush's writes made a slice of sessions at a time, newer batches merged in.

Writing one batch to 5,000 sockets takes 50–90 ms of system calls. Made in one go, it holds the
event loop: an entry that arrives meanwhile is not even read until the writes end, and then waits
for its subscriber's turn in the next round, up to two rounds in all. Made a slice at a time, with
the loop free between slices, an entry read meanwhile joins the writes not made yet: every
subscriber still gets one write per round with everything due to it, and an entry waits at most
about one round.

Per session, bytes go out in flush order. A new batch merges only into the unwritten part of an
earlier delivery of the same channel, and only for sessions still subscribed with no outbox
(replay, answer, close) queued: that outbox must reach them before anything newer. Everyone else
gets the batch in a delivery at the end of the queue. No sockets here: the server writes what
:meth:`DeliveryQueue.take` hands out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Set
from typing import Any

__all__ = ["Delivery", "DeliveryQueue"]


class Delivery:
    """The same bytes for some sessions: a channel's entry messages, or one session's outbox."""

    __slots__ = ("channel", "payloads", "records", "sessions", "position", "close_after", "_chunk")

    def __init__(self, channel: Any, payloads: list[bytes], records: list[Any], sessions: list[Any],
                 close_after: bool = False) -> None:
        #: The channel (None for an outbox).
        self.channel = channel
        self.payloads = payloads
        #: Records whose latency is observed when this delivery is done (each record in one delivery).
        self.records = records
        self.sessions = sessions
        #: Sessions before this index were handed out.
        self.position = 0
        #: An outbox of a session the protocol closes: close it once this is written.
        self.close_after = close_after
        self._chunk: bytes | None = None

    def chunk(self, frame: Any) -> bytes:
        """``frame(payloads)``, built once for all the slices that share these payloads."""
        if self._chunk is None:
            self._chunk = frame(self.payloads)
        return self._chunk

    def _append(self, payloads: list[bytes]) -> None:
        self.payloads = self.payloads + payloads
        self._chunk = None


class DeliveryQueue:
    """Deliveries in write order; unfinished ones take newer batches of their channel."""

    def __init__(self) -> None:
        self._queue: deque[Delivery] = deque()
        #: Unfinished deliveries per channel, in queue order.
        self._by_channel: dict[Any, list[Delivery]] = {}
        #: Sessions with an outbox queued, and how many.
        self._outboxes: dict[Any, int] = {}

    def __len__(self) -> int:
        return len(self._queue)

    def add_batch(self, channel: Any, subscribers: list[Any], payloads: list[bytes], records: list[Any],
                  members: Set[Any] | None = None, outboxes_next: Set[Any] = frozenset()) -> None:
        """Queue a channel's new entry messages for ``subscribers`` (merged where that keeps the order).

        ``members``: the channel's subscribers now, if the caller has them as a set (saves building one);
        it may also hold sessions that joined since ``subscribers`` was taken, as long as they are in
        ``outboxes_next``: sessions whose outbox (a join's replay, an answer) the caller queues right after
        this flush's batches, which therefore take no merge either.
        """
        if not payloads or not subscribers:
            return
        pending = self._by_channel.get(channel)
        covered: set[Any] = set()
        carrier: Delivery | None = None
        if pending:
            if members is None:
                members = set(subscribers)
            outboxes = self._outboxes.keys() | outboxes_next if outboxes_next else self._outboxes.keys()
            later: set[Any] = set()  # sessions in a later delivery of this channel: merging earlier reorders
            for delivery in reversed(list(pending)):
                rest = delivery.sessions[delivery.position:]
                rest_set = set(rest)
                if rest_set.isdisjoint(later) and rest_set.isdisjoint(outboxes) and rest_set.issubset(members):
                    merge = rest  # the common case, checked with set operations instead of one session at a time
                else:
                    merge = [s for s in rest if s in members and s not in outboxes and s not in later]
                later |= rest_set
                if not merge:
                    continue
                covered.update(merge)
                if len(merge) == len(rest):
                    delivery._append(payloads)
                    carrier = carrier or delivery
                    continue
                # the unwritten part splits: who can take the batch now moves to a delivery right after
                moving = set(merge)
                delivery.sessions = delivery.sessions[:delivery.position] + [s for s in rest if s not in moving]
                split = Delivery(channel, delivery.payloads + payloads, [], merge)
                self._queue.insert(self._queue.index(delivery) + 1, split)
                pending.insert(pending.index(delivery) + 1, split)
                carrier = carrier or split
        # everyone not taking the batch in a merge: in the snapshot's order, which the next rounds keep
        if not covered:
            rest = list(subscribers)
        elif len(covered) >= len(subscribers):  # covered sessions are all in the snapshot: nobody is left
            rest = []
        else:
            rest = [s for s in subscribers if s not in covered]
        if rest:
            carrier = Delivery(channel, list(payloads), [], rest)
            self._queue.append(carrier)
            self._by_channel.setdefault(channel, []).append(carrier)
        assert carrier is not None
        carrier.records = carrier.records + records

    def add_outbox(self, session: Any, payloads: list[bytes], close_after: bool = False) -> None:
        """Queue a session's own messages (and its close) after everything already queued for it."""
        if not payloads and not close_after:
            return
        self._queue.append(Delivery(None, payloads, [], [session], close_after))
        self._outboxes[session] = self._outboxes.get(session, 0) + 1

    def take(self, max_sessions: int) -> list[tuple[Delivery, list[Any], bool]]:
        """The next writes, up to ``max_sessions`` sessions: ``(delivery, its sessions now, delivery done)``."""
        units: list[tuple[Delivery, list[Any], bool]] = []
        budget = max(1, max_sessions)
        queue = self._queue
        while queue and budget > 0:
            delivery = queue[0]
            stop = min(len(delivery.sessions), delivery.position + budget)
            part = delivery.sessions[delivery.position:stop]
            delivery.position = stop
            budget -= len(part)
            done = stop >= len(delivery.sessions)
            if done:
                queue.popleft()
                if delivery.channel is None:
                    session = delivery.sessions[0]
                    left = self._outboxes[session] - 1
                    if left:
                        self._outboxes[session] = left
                    else:
                        del self._outboxes[session]
                else:
                    pending = self._by_channel[delivery.channel]
                    pending.remove(delivery)
                    if not pending:
                        del self._by_channel[delivery.channel]
            units.append((delivery, part, done))
        return units
