"""The shared upstream throttle against the suite's real redis-server (and without it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date

import pytest
import redis as redis_py
from django.conf import settings
from prometheus_client import REGISTRY

from core.deadline import Deadline
from devtools.localredis import LocalRedis
from marketdata.clients import get_massive_client
from marketdata.clients.throttle import UpstreamThrottle
from marketdata.exceptions import ProviderRateLimited


def throttle(limit: int | None, window: float = 30.0, *, key: str, redis_url: str | None = None):
    url = settings.REDIS_URL if redis_url is None else redis_url
    return UpstreamThrottle(provider="test", limit=limit, window=window, redis_url=url, key=key)


@pytest.fixture
def key() -> str:
    return f"mojo:throttle:test:{uuid.uuid4().hex}"


def waits_counted() -> float:
    return REGISTRY.get_sample_value("mojo_throttle_waits_total", {"provider": "test"}) or 0.0


def test_over_quota_caller_gets_rate_limited_with_the_wait_as_retry_after(key: str) -> None:
    limiter = throttle(2, key=key)
    limiter.acquire(None)
    limiter.acquire(None)
    with pytest.raises(ProviderRateLimited) as caught:
        limiter.acquire(Deadline(0.5))
    retry_after = caught.value.retry_after
    assert retry_after is not None and 25.0 < retry_after <= 30.0


def test_throttles_sharing_redis_share_one_quota(key: str) -> None:
    first, second = throttle(2, key=key), throttle(2, key=key)
    first.acquire(None)
    first.acquire(None)
    with pytest.raises(ProviderRateLimited):
        second.acquire(Deadline(0.5))


def test_a_cron_caller_waits_for_the_next_slot(key: str) -> None:
    limiter = throttle(1, window=0.3, key=key)
    before = waits_counted()
    limiter.acquire(None)
    limiter.acquire(None)
    assert waits_counted() == before + 1


def test_a_caller_with_time_to_spare_waits_instead_of_failing(key: str) -> None:
    limiter = throttle(1, window=0.3, key=key)
    limiter.acquire(Deadline(5.0))
    limiter.acquire(Deadline(5.0))


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_without_redis_the_limit_holds_per_process(redis_server: LocalRedis, key: str) -> None:
    limiter = throttle(2, key=key)
    redis_server.stop()
    limiter.acquire(None)
    limiter.acquire(None)
    with pytest.raises(ProviderRateLimited):
        limiter.acquire(Deadline(0.5))


def test_without_a_redis_url_the_limit_holds_per_process(key: str) -> None:
    limiter = throttle(1, key=key, redis_url="")
    limiter.acquire(None)
    with pytest.raises(ProviderRateLimited):
        limiter.acquire(Deadline(0.5))


def test_without_redis_a_slot_ages_from_the_answer_not_from_when_it_was_taken(key: str) -> None:
    limiter = throttle(1, key=key, redis_url="")
    limiter.acquire(None)
    time.sleep(0.5)  # the request's trip
    limiter.answered()
    with pytest.raises(ProviderRateLimited) as caught:
        limiter.acquire(Deadline(0.5))
    retry_after = caught.value.retry_after
    assert retry_after is not None and retry_after > 29.5  # 30 s from the answer, not from the take


def test_no_limit_never_waits(key: str) -> None:
    limiter = throttle(None, key=key)
    for _ in range(50):
        limiter.acquire(Deadline(0.01))


# --- the throttle in front of Massive, against the sandbox ----------------------------------

PROCESS_SCRIPT = """
import sys, time
import django
django.setup()
from datetime import date
from marketdata.clients import get_massive_client
from marketdata.clients import get_massive_client
from core.deadline import Deadline
from marketdata.exceptions import ProviderRateLimited

start_at, calls, budget = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
client = get_massive_client()
time.sleep(max(0.0, start_at - time.time()))
ok = limited = 0
first = time.time()
for _ in range(calls):
    try:
        client.get_daily_bars(
            "AAPL", date(2026, 11, 2), date(2026, 11, 24), deadline=Deadline(budget) if budget else None
        )
        ok += 1
    except ProviderRateLimited:
        limited += 1
print(ok, limited, first, time.time())
"""


def run_processes(sandbox, *, limit: int, window: float, calls: int, budget: float) -> list[list[float]]:
    """Run two processes sharing the test Redis at once; return (ok, limited, first, last) each."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": settings.REDIS_URL,
        "MASSIVE_BASE_URL": sandbox.base_url,
        "MASSIVE_RATE_LIMIT_PER_MINUTE": str(limit),
        "MASSIVE_RATE_LIMIT_WINDOW": str(window),
        "LOG_LEVEL": "WARNING",
    }
    start_at = str(time.time() + 2.0)  # both start together, after Django has set up
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, start_at, str(calls), str(budget)],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        results.append([float(x) for x in out.split()])
    return results


@pytest.mark.slow
def test_two_processes_sharing_redis_make_at_most_the_quota_of_requests(sandbox) -> None:
    results = run_processes(sandbox, limit=3, window=60.0, calls=4, budget=5.0)
    assert sandbox.control.count("aggs") == 3
    assert sum(r[0] for r in results) == 3 and sum(r[1] for r in results) == 5


@pytest.mark.slow
def test_two_cron_processes_wait_for_the_shared_window(sandbox) -> None:
    results = run_processes(sandbox, limit=2, window=1.0, calls=2, budget=0.0)
    first, last = min(r[2] for r in results), max(r[3] for r in results)
    assert sandbox.control.count("aggs") == 4
    # Four requests at two per sliding second: the third cannot start before a second passed.
    assert last - first >= 1.0


# Budgets are generous: a caller over quota waits ~60 s, so it is refused at once anyway.
def test_every_page_of_a_chain_takes_a_slot(sandbox, settings) -> None:
    settings.MASSIVE_RATE_LIMIT_PER_MINUTE = 3
    settings.MASSIVE_RATE_LIMIT_WINDOW = 60.0
    gte, lte = date(2026, 11, 24), date(2029, 5, 1)
    with pytest.raises(ProviderRateLimited):
        get_massive_client().get_options_chain_snapshot("SPY", gte, lte, deadline=Deadline(5.0))
    assert sandbox.control.count("options_chain") == 3


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_with_redis_stopped_massive_calls_are_still_limited_per_process(
    sandbox, settings, redis_server: LocalRedis
) -> None:
    settings.MASSIVE_RATE_LIMIT_PER_MINUTE = 2
    settings.MASSIVE_RATE_LIMIT_WINDOW = 60.0
    client = get_massive_client()
    redis_server.stop()
    for _ in range(2):
        client.get_daily_bars("AAPL", date(2026, 11, 2), date(2026, 11, 24), deadline=Deadline(5.0))
    with pytest.raises(ProviderRateLimited):
        client.get_daily_bars("AAPL", date(2026, 11, 2), date(2026, 11, 24), deadline=Deadline(5.0))
    assert sandbox.control.count("aggs") == 2


def test_a_massive_requests_slot_ages_from_the_moment_its_answer_came_back(sandbox, settings) -> None:
    settings.MASSIVE_RATE_LIMIT_PER_MINUTE = 1
    settings.MASSIVE_RATE_LIMIT_WINDOW = 60.0
    sandbox.control.latency(0.2)  # answered well after the slot was taken
    get_massive_client().get_daily_bars("AAPL", date(2026, 11, 2), date(2026, 11, 24), deadline=Deadline(5.0))

    ((_, slot_us),) = redis_py.Redis.from_url(settings.REDIS_URL).zrange(
        "mojo:throttle:massive", 0, -1, withscores=True
    )
    (request,) = sandbox.control.requests()
    # Redis's clock and the sandbox's are this host's wall clock: the slot is stamped after the answer.
    assert slot_us >= request.answered * 1_000_000 > request.arrived * 1_000_000
