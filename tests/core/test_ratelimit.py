"""The sliding-window log against the suite's real redis-server."""

from __future__ import annotations

import uuid

import pytest
from django_redis import get_redis_connection
from redis import Redis

from core.ratelimit import stamp_slot, take_slot


@pytest.fixture
def client() -> Redis:
    return get_redis_connection("default")


@pytest.fixture
def key() -> str:
    return f"test:window:{uuid.uuid4().hex}"


def test_slots_are_taken_up_to_the_limit_then_refused(client: Redis, key: str) -> None:
    waits = [take_slot(client, key, limit=3, window=30.0) for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and 29.0 < waits[3] <= 30.0


def slot_taken_ago(client: Redis, key: str, seconds: float) -> None:
    """A slot taken `seconds` ago by Redis's own clock (no sleeping through a window)."""
    now_s, now_us = client.time()
    client.zadd(key, {f"past-{seconds}": now_s * 1_000_000 + now_us - round(seconds * 1_000_000)})


def test_the_wait_is_until_the_oldest_slot_leaves_the_window(client: Redis, key: str) -> None:
    slot_taken_ago(client, key, 10.0)
    take_slot(client, key, limit=2, window=30.0)
    # The oldest slot leaves the window in 20 s (30 - 10), the newest only in 30 s.
    assert 19.0 < take_slot(client, key, limit=2, window=30.0) <= 20.0


def test_a_refused_request_takes_no_slot(client: Redis, key: str) -> None:
    take_slot(client, key, limit=1, window=30.0)
    refusals = [take_slot(client, key, limit=1, window=30.0) for _ in range(5)]
    assert all(wait > 0 for wait in refusals) and client.zcard(key) == 1


def test_a_slot_that_left_the_window_frees_its_place(client: Redis, key: str) -> None:
    slot_taken_ago(client, key, 31.0)
    assert take_slot(client, key, limit=1, window=30.0) == 0 and client.zcard(key) == 1


def test_the_script_is_loaded_again_when_redis_has_forgotten_it(client: Redis, key: str) -> None:
    client.script_flush()
    assert [take_slot(client, key, limit=1, window=30.0) == 0 for _ in range(2)] == [True, False]


def test_a_stamped_slot_leaves_the_window_a_whole_window_after_its_stamp(client: Redis, key: str) -> None:
    slot_taken_ago(client, key, 10.0)
    stamp_slot(client, key, member="past-10.0", window=30.0)
    # Without the stamp it would leave in 20 s; it is now the slot of this moment.
    assert 29.0 < take_slot(client, key, limit=1, window=30.0) <= 30.0 and client.zcard(key) == 1


def test_a_slot_stamped_after_it_left_the_window_is_back_in_it(client: Redis, key: str) -> None:
    slot_taken_ago(client, key, 31.0)
    stamp_slot(client, key, member="past-31.0", window=30.0)
    assert 29.0 < take_slot(client, key, limit=1, window=30.0) <= 30.0
