"""The API's DRF throttles: one Redis round trip a request, exact across workers, failing open.

A "worker" is a thread: Django's caches are per thread, so each has a django-redis client of
its own (from one connection pool), as each gunicorn worker has; all share the suite's Redis.
Every request goes through a fresh throttle instance, as DRF makes one per request.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django_redis import get_redis_connection
from redis.connection import Connection
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from core.throttling import FailOpenScopedRateThrottle, FailOpenUserRateThrottle
from devtools.localredis import LocalRedis

USER_LIMIT = 5
AUTH_VIEW = SimpleNamespace(throttle_scope="auth")


@pytest.fixture(autouse=True)
def rates(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF reads the rates from settings once, at import.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": f"{USER_LIMIT}/min", "auth": "3/s"})


def user_request(pk: int = 7):
    request = APIRequestFactory().get("/api/v1/stocks/AAPL/")
    request.user = User(pk=pk)
    return request


def anonymous_request(address: str):
    request = APIRequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def allowed(throttle_class, request, view=None) -> bool:
    """One request through a fresh throttle instance, as DRF makes one per request."""
    return throttle_class().allow_request(request, view)


def test_the_request_after_the_limit_is_refused() -> None:
    answers = [allowed(FailOpenUserRateThrottle, user_request()) for _ in range(USER_LIMIT + 1)]
    assert answers == [True] * USER_LIMIT + [False]


def test_a_quota_used_up_in_one_worker_holds_in_another() -> None:
    def other_worker() -> None:
        for _ in range(USER_LIMIT):
            allowed(FailOpenUserRateThrottle, user_request())

    thread = threading.Thread(target=other_worker)
    thread.start()
    thread.join()
    assert not allowed(FailOpenUserRateThrottle, user_request())


def test_concurrent_workers_together_admit_exactly_the_limit() -> None:
    start = threading.Barrier(4)
    admitted: list[bool] = []

    def worker() -> None:
        start.wait()
        admitted.extend(allowed(FailOpenUserRateThrottle, user_request()) for _ in range(USER_LIMIT))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == USER_LIMIT


def test_each_user_has_a_limit_of_their_own() -> None:
    for _ in range(USER_LIMIT):
        allowed(FailOpenUserRateThrottle, user_request(pk=7))
    assert allowed(FailOpenUserRateThrottle, user_request(pk=8))


def test_each_request_is_one_redis_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    allowed(FailOpenUserRateThrottle, user_request())  # the first call may load the script
    packets: list[object] = []
    send = Connection.send_packed_command

    def counted(connection: Connection, command: object, check_health: bool = True) -> None:
        packets.append(command)
        send(connection, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counted)
    for _ in range(USER_LIMIT + 2):  # allowed and refused alike
        allowed(FailOpenUserRateThrottle, user_request())
    assert len(packets) == USER_LIMIT + 2


def test_the_wait_is_until_the_oldest_slot_leaves_the_window() -> None:
    request = anonymous_request("10.0.0.1")
    throttle = FailOpenScopedRateThrottle()
    started = time.monotonic()
    assert throttle.allow_request(request, AUTH_VIEW)
    # Move that first slot 0.4 s into the past, by Redis's clock, instead of sleeping.
    client = get_redis_connection("default")
    ((member, score),) = client.zrange(throttle.key, 0, 0, withscores=True)
    client.zadd(throttle.key, {member: score - 400_000})
    allowed(FailOpenScopedRateThrottle, request, AUTH_VIEW)
    allowed(FailOpenScopedRateThrottle, request, AUTH_VIEW)
    refused = FailOpenScopedRateThrottle()
    assert not refused.allow_request(request, AUTH_VIEW)
    wait = refused.wait()
    took = time.monotonic() - started
    # 1 s window, the oldest slot 0.4 s old: 0.6 s less what the test itself took.
    assert wait is not None and 0.6 - took - 0.01 <= wait <= 0.6


def test_the_scoped_throttle_counts_per_client_address() -> None:
    for _ in range(3):
        allowed(FailOpenScopedRateThrottle, anonymous_request("10.0.0.1"), AUTH_VIEW)
    answers = [
        allowed(FailOpenScopedRateThrottle, anonymous_request(a), AUTH_VIEW) for a in ("10.0.0.1", "10.0.0.2")
    ]
    assert answers == [False, True]


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_with_redis_down_every_request_is_let_through(redis_server: LocalRedis) -> None:
    redis_server.stop()
    answers = [allowed(FailOpenUserRateThrottle, user_request()) for _ in range(USER_LIMIT + 1)]
    assert answers == [True] * (USER_LIMIT + 1)


def test_without_django_redis_drf_throttles_on_the_cache(settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    answers = [allowed(FailOpenUserRateThrottle, user_request(pk=7)) for _ in range(USER_LIMIT + 1)]
    assert (answers[-1], len(cache.get("throttle_user_7"))) == (False, USER_LIMIT)
