"""The rolling delivery queue: slices, merges, and the order each session sees."""

from __future__ import annotations

import random

import pytest

from newswire.gateway.delivery import DeliveryQueue


def drain(queue: DeliveryQueue, received: dict[str, list[bytes]], slice_size: int = 10**9) -> list[tuple]:
    """Take everything, appending each session's payloads in write order; returns the writes made."""
    writes = []
    while len(queue):
        for delivery, sessions, done in queue.take(slice_size):
            for session in sessions:
                received.setdefault(session, []).extend(delivery.payloads)
            writes.append((delivery, sessions, done))
    return writes


def test_batch_arriving_mid_round_joins_the_unwritten_sessions():
    """Sessions not yet written get the old and new entries in one write; written ones get the new one next."""
    queue = DeliveryQueue()
    queue.add_batch("story:a", ["s1", "s2", "s3", "s4"], [b"e1"], ["r1"])
    first = queue.take(2)
    assert [(d.payloads, part) for d, part, _ in first] == [([b"e1"], ["s1", "s2"])]
    queue.add_batch("story:a", ["s1", "s2", "s3", "s4"], [b"e2"], ["r2"])
    rest = queue.take(10)
    assert [(d.payloads, part) for d, part, _ in rest] == [([b"e1", b"e2"], ["s3", "s4"]), ([b"e2"], ["s1", "s2"])]
    assert len(queue) == 0


def test_session_that_left_does_not_get_the_newer_batch():
    """Unwritten sessions no longer subscribed keep the old entries only."""
    queue = DeliveryQueue()
    queue.add_batch("c", ["s1", "s2", "s3"], [b"e1"], [])
    queue.take(1)
    queue.add_batch("c", ["s1", "s3"], [b"e2"], [])
    received: dict[str, list[bytes]] = {"s1": [b"e1"]}
    drain(queue, received)
    assert received == {"s1": [b"e1", b"e2"], "s2": [b"e1"], "s3": [b"e1", b"e2"]}


def test_queued_outbox_comes_before_newer_entries():
    """A replay queued for a session is written before entries flushed after it."""
    queue = DeliveryQueue()
    queue.add_batch("c", ["s1", "s2"], [b"e1"], [])
    queue.add_outbox("s2", [b"replay"])
    queue.add_batch("c", ["s1", "s2"], [b"e2"], [])
    received: dict[str, list[bytes]] = {}
    drain(queue, received)
    assert received["s2"] == [b"e1", b"replay", b"e2"]
    assert received["s1"] == [b"e1", b"e2"]


def test_outbox_with_close_only():
    """A session closed with nothing to say still gets a delivery that asks for its close."""
    queue = DeliveryQueue()
    queue.add_outbox("s1", [], close_after=True)
    [(delivery, sessions, done)] = queue.take(5)
    assert sessions == ["s1"] and delivery.close_after and done
    queue.add_outbox("s1", [])
    assert len(queue) == 0


def test_take_respects_the_slice_size_and_shares_the_chunk():
    """A slice never passes max_sessions, and a delivery frames its payloads once for all its slices."""
    queue = DeliveryQueue()
    queue.add_batch("c", [f"s{i}" for i in range(7)], [b"a", b"b"], ["r"])
    calls = []

    def frame(payloads):
        calls.append(list(payloads))
        return b"".join(payloads)

    sizes = []
    while len(queue):
        for delivery, sessions, _ in queue.take(3):
            assert delivery.chunk(frame) == b"ab"
            sizes.append(len(sessions))
    assert sizes == [3, 3, 1] and calls == [[b"a", b"b"]]


@pytest.mark.parametrize("seed", range(40))
def test_random_schedules_keep_each_sessions_order_and_lose_nothing(seed):
    """Per session and channel, entries and outboxes arrive exactly once in the order they were queued."""
    rng = random.Random(seed)
    sessions = [f"s{i}" for i in range(12)]
    channels = ["c1", "c2", "c3"]
    members = {c: set(rng.sample(sessions, 6)) for c in channels}
    expected: dict[tuple[str, str], list[bytes]] = {}
    expected_outbox: dict[str, list[bytes]] = {}
    records_seen: list[str] = []
    queue = DeliveryQueue()
    received: dict[str, list[bytes]] = {}
    counter = 0
    for _ in range(200):
        op = rng.random()
        if op < 0.45:
            channel = rng.choice(channels)
            counter += 1
            payload = f"{channel}:{counter}".encode()
            subscribers = sorted(members[channel], key=lambda _: rng.random())
            # the server passes the channel's live subscriber set; the queue builds one otherwise
            queue.add_batch(channel, subscribers, [payload], [payload.decode()],
                            members=set(subscribers) if rng.random() < 0.5 else None)
            for s in subscribers:
                expected.setdefault((s, channel), []).append(payload)
                # an outbox written later must come after this entry: note the order per session
                expected_outbox.setdefault(s, []).append(payload)
        elif op < 0.55:
            s = rng.choice(sessions)
            counter += 1
            payload = f"out:{counter}".encode()
            queue.add_outbox(s, [payload])
            expected_outbox.setdefault(s, []).append(payload)
        elif op < 0.65:
            channel = rng.choice(channels)
            s = rng.choice(sessions)
            members[channel] ^= {s}
        else:
            for delivery, part, done in queue.take(rng.randint(1, 8)):
                for s in part:
                    received.setdefault(s, []).extend(delivery.payloads)
                if done:
                    records_seen.extend(delivery.records)
    for delivery, _, done in drain(queue, received, rng.randint(1, 8)):
        if done:
            records_seen.extend(delivery.records)
    for s in sessions:
        got = received.get(s, [])
        for channel in channels:
            assert [p for p in got if p.startswith(channel.encode())] == expected.get((s, channel), [])
        # an outbox is never overtaken by an entry queued after it, nor overtakes one queued before it
        order = expected_outbox.get(s, [])
        for i, p in enumerate(order):
            if p.startswith(b"out:"):
                at = got.index(p)
                assert set(order[:i]) <= set(got[:at])
                assert not set(order[i + 1:]) & set(got[:at])
    batches = [p.decode() for ps in expected.values() for p in ps]
    assert sorted(records_seen) == sorted(set(batches))


def test_a_session_rejoining_in_this_flush_gets_its_replay_not_a_merge():
    """Left and joined again while its old delivery is unwritten: the new batch waits behind its replay."""
    queue = DeliveryQueue()
    queue.add_batch("c", ["s1", "s2"], [b"e1"], [])
    queue.take(1)  # s1 written, s2 not yet
    # s2 left, then joined again within this window: the snapshot lacks it, the live set has it
    queue.add_batch("c", ["s1"], [b"e2"], [], members={"s1", "s2"}, outboxes_next={"s2"})
    queue.add_outbox("s2", [b"replay:e1,e2"])
    received: dict[str, list[bytes]] = {"s1": [b"e1"]}
    drain(queue, received)
    assert received == {"s1": [b"e1", b"e2"], "s2": [b"e1", b"replay:e1,e2"]}
