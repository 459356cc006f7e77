"""The shared pause: one worker's 429 with Retry-After holds back every worker's Massive calls.

Against the suite's real redis-server and the sandbox over HTTP. Each "worker" is a client with
its own throttle instance, as another process has (and once a real second process). Moments are
Redis's clock in µs, the clock the pause is kept in; assertions are orderings, not durations.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date

import pytest
import redis as redis_py
from django.conf import settings
from prometheus_client import REGISTRY

from core.deadline import Deadline
from devtools.localredis import LocalRedis
from marketdata.clients.massive import MassiveClient
from marketdata.clients.retry import Call, RetryPolicy, UpstreamResponse, send_with_retry
from marketdata.clients.throttle import UpstreamThrottle
from marketdata.exceptions import ProviderRateLimited
from tests.conftest import SANDBOX_TODAY

AAPL_AGGS = "/v2/aggs/ticker/AAPL/"
PAUSE_KEY = "mojo:throttle:massive:paused_until"
START = date(2026, 11, 2)
LIVENESS_SECONDS = 30.0

Clock = Callable[[], int]


@pytest.fixture
def redis_now() -> Iterator[Clock]:
    """Redis's now in µs since the epoch (the clock of the pause)."""
    client = redis_py.Redis.from_url(settings.REDIS_URL)

    def now() -> int:
        seconds, micros = client.time()
        return seconds * 1_000_000 + micros

    yield now
    client.close()


def pause_end() -> int | None:
    """The shared pause's end in Redis's µs, or None when nobody is paused."""
    value = redis_py.Redis.from_url(settings.REDIS_URL).get(PAUSE_KEY)
    return int(value) if value is not None else None


def worker(*, attempts: int = 3, cap: float = 30.0, limit: int | None = 100) -> MassiveClient:
    """A Massive client with a throttle of its own, as each worker process has."""
    throttle = UpstreamThrottle(provider="massive", limit=limit, window=60.0, redis_url=settings.REDIS_URL)
    policy = RetryPolicy(attempts=attempts, wait=0.0, retry_after_cap=cap)
    return MassiveClient(
        api_key=settings.MASSIVE_API_KEY, base_url=settings.MASSIVE_BASE_URL, policy=policy, throttle=throttle
    )


def stamp_sends(client: MassiveClient, now: Clock) -> list[int]:
    """Record Redis's now just before each of the client's requests leaves it."""
    pool = client.rest.client
    request = pool.request
    sent: list[int] = []

    def stamped(*args: object, **kwargs: object) -> object:
        sent.append(now())
        return request(*args, **kwargs)

    pool.request = stamped  # type: ignore[method-assign]
    return sent


def rate_limit_one_worker(sandbox, *, retry_after: float | None, cap: float = 30.0) -> None:
    """One worker's only attempt is answered 429 (with Retry-After when given) and gives up."""
    sandbox.control.fault(path=AAPL_AGGS, kind="status", status=429, retry_after=retry_after)
    with pytest.raises(ProviderRateLimited):
        worker(attempts=1, cap=cap).get_daily_bars("AAPL", START, SANDBOX_TODAY)


def pauses_counted() -> float:
    return REGISTRY.get_sample_value("mojo_throttle_pauses_total", {"provider": "massive"}) or 0.0


@pytest.mark.parametrize("limit", [100, None], ids=["with_a_quota", "without_a_quota"])
def test_another_workers_request_is_sent_only_after_the_pause_ends(sandbox, redis_now, limit) -> None:
    rate_limit_one_worker(sandbox, retry_after=2)
    ended = pause_end()
    other = worker(limit=limit)
    sent = stamp_sends(other, redis_now)
    asked = redis_now()
    other.get_daily_bars("AAPL", START, SANDBOX_TODAY, deadline=Deadline(LIVENESS_SECONDS))
    assert ended is not None and asked < ended < sent[0]
    assert sandbox.control.count("aggs") == 2


SECOND_PROCESS = """
import sys
from datetime import date
import django
django.setup()
import redis
from django.conf import settings
from marketdata.clients import get_massive_client

client = get_massive_client()
print("ready", flush=True)
sys.stdin.readline()
seconds, micros = redis.Redis.from_url(settings.REDIS_URL).time()
client.get_daily_bars("AAPL", date(2026, 11, 2), date(2026, 11, 24))
print(seconds * 1_000_000 + micros, flush=True)
"""


def second_process(sandbox) -> subprocess.Popen[str]:
    """A worker process of its own, on the same Redis and sandbox, waiting for a line on stdin."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": settings.REDIS_URL,
        "MASSIVE_BASE_URL": sandbox.base_url,
        "MASSIVE_RATE_LIMIT_PER_MINUTE": "100",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SECOND_PROCESS],
        env=env,
        cwd=settings.BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def watch_count(sandbox, now: Clock, *, until: int) -> list[tuple[int, int]]:
    """Read the sandbox's aggs counter until it reaches `until`: (Redis now after the read, count)."""
    reads: list[tuple[int, int]] = []
    give_up = now() + int(LIVENESS_SECONDS * 1_000_000)
    while not reads or reads[-1][1] < until:
        count = sandbox.control.count("aggs")
        reads.append((now(), count))
        assert reads[-1][0] < give_up, "the second process's request never reached the sandbox"
    return reads


@pytest.mark.slow  # starts a Django process
def test_a_second_process_sends_nothing_to_the_sandbox_until_the_pause_ends(sandbox, redis_now) -> None:
    process = second_process(sandbox)
    try:
        rate_limit_one_worker(sandbox, retry_after=2)
        ended = pause_end()
        assert process.stdin is not None and ended is not None
        process.stdin.write("go\n")
        process.stdin.flush()
        reads = watch_count(sandbox, redis_now, until=2)
        out, err = process.communicate(timeout=LIVENESS_SECONDS)
    finally:
        process.kill()
    assert process.returncode == 0, err
    asked = int(out.split()[-1])
    while_paused = [count for read_at, count in reads if asked < read_at < ended]
    # It asked during the pause, the sandbox was watched meanwhile and saw only the first 429.
    assert asked < ended and while_paused and set(while_paused) == {1}
    assert all(count == 1 for read_at, count in reads if read_at < ended)


def test_the_pause_never_extends_past_the_retry_after_cap(sandbox, redis_now) -> None:
    before_429 = redis_now()
    rate_limit_one_worker(sandbox, retry_after=30, cap=1.0)
    after_429 = redis_now()
    ended = pause_end()
    assert ended is not None and before_429 < ended <= after_429 + 1_000_000


def test_a_429_without_retry_after_pauses_no_other_worker(sandbox) -> None:
    rate_limit_one_worker(sandbox, retry_after=None)
    # Any pause at all would refuse a caller with so little time rather than wait.
    worker(attempts=1).get_daily_bars("AAPL", START, SANDBOX_TODAY, deadline=Deadline(0.5))
    assert pause_end() is None and sandbox.control.count("aggs") == 2


def test_a_deadline_shorter_than_the_pause_is_refused_with_the_pause_left(sandbox, redis_now) -> None:
    rate_limit_one_worker(sandbox, retry_after=2)
    ended = pause_end()
    assert ended is not None
    before = redis_now()
    with pytest.raises(ProviderRateLimited) as refused:
        worker().get_daily_bars("AAPL", START, SANDBOX_TODAY, deadline=Deadline(0.5))
    left_after, left_before = (ended - redis_now()) / 1e6, (ended - before) / 1e6
    retry_after = refused.value.retry_after
    # Redis keeps the pause's expiry in whole milliseconds, and PTTL counts from its own now in
    # whole milliseconds too: two roundings, up to 2 ms between PTTL and the exact µs difference.
    assert retry_after is not None and left_after - 0.002 <= retry_after <= left_before + 0.002


def test_a_deadline_shorter_than_the_pause_sends_nothing(sandbox) -> None:
    rate_limit_one_worker(sandbox, retry_after=2)
    with pytest.raises(ProviderRateLimited):
        worker().get_daily_bars("AAPL", START, SANDBOX_TODAY, deadline=Deadline(0.5))
    assert sandbox.control.count("aggs") == 1


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_with_redis_down_the_pause_still_holds_within_the_process(sandbox, redis_server: LocalRedis) -> None:
    client = worker(attempts=1)
    redis_server.stop()
    sandbox.control.fault(path=AAPL_AGGS, kind="status", status=429, retry_after=2)
    with pytest.raises(ProviderRateLimited):
        client.get_daily_bars("AAPL", START, SANDBOX_TODAY)
    with pytest.raises(ProviderRateLimited) as refused:
        client.get_daily_bars("AAPL", START, SANDBOX_TODAY, deadline=Deadline(1.0))
    retry_after = refused.value.retry_after
    assert retry_after is not None and 0 < retry_after <= 2.0
    assert sandbox.control.count("aggs") == 1


def test_a_pause_is_counted_once_by_the_worker_that_set_or_extended_it(caplog) -> None:
    first, second = worker().rest.throttle, worker().rest.throttle
    assert first is not None and second is not None
    before = pauses_counted()
    with caplog.at_level("WARNING", logger="marketdata.throttle"):
        first.pause(2.0)
        second.pause(1.0)  # inside the first's pause: nothing new
        second.pause(3.0)  # moves the end later
    assert pauses_counted() == before + 2
    assert len([r for r in caplog.records if "retry after" in r.getMessage()]) == 2


@pytest.mark.parametrize(
    ("status", "headers", "heard"),
    [
        (429, {"Retry-After": "2"}, [2.0]),
        (503, {"Retry-After": "40"}, [30.0]),  # capped
        (429, {}, []),
        (500, {"Retry-After": "2"}, []),
    ],
)
def test_the_policy_passes_on_the_retry_after_of_429s_and_503s(status, headers, heard) -> None:
    answers = iter([UpstreamResponse(status, headers, b""), UpstreamResponse(200, {}, b"{}")])
    told: list[float] = []
    response = send_with_retry(
        lambda timeouts: next(answers),
        call=Call("massive", "aggs", "AAPL"),
        policy=RetryPolicy(attempts=2, wait=0.0, retry_after_cap=30.0),
        deadline=None,
        on_retry_after=told.append,
        sleep=lambda seconds: None,
    )
    assert (response.status, told) == (200, heard)
