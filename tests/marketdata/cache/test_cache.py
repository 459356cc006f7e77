"""The get-or-fetch helper against the suite's real redis-server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import redis

from devtools.localredis import LocalRedis
from marketdata import cache, clock
from marketdata.exceptions import ProviderUnavailable, TickerNotFound

KEY = cache.stock_cache_key("AAPL")


def ttl_600(_: object) -> int:
    return 600


def fetch_value(value: object, calls: list[int]):
    def fetch() -> object:
        calls.append(1)
        return value

    return fetch


def failing_fetch() -> object:
    raise ProviderUnavailable()


def test_stored_key_is_exactly_the_spec_name(redis_server: LocalRedis) -> None:
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    assert redis.Redis.from_url(redis_server.url).exists("finance:cache:stock:AAPL") == 1


def test_second_read_inside_the_fresh_ttl_is_a_hit() -> None:
    calls: list[int] = []
    first = cache.get_or_fetch(
        key=KEY, dataset="stock", fetch=fetch_value({"p": 1}, calls), fresh_ttl=ttl_600
    )
    second = cache.get_or_fetch(
        key=KEY, dataset="stock", fetch=fetch_value({"p": 2}, calls), fresh_ttl=ttl_600
    )
    assert (first.cached, second.cached, second.value, len(calls)) == (False, True, {"p": 1}, 1)
    assert second.stale is False
    assert second.as_of == first.as_of


def test_stale_entry_is_served_when_provider_is_down(pinned_clock) -> None:
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    with clock.pinned(pinned_clock + timedelta(seconds=601)):
        result = cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600)
    assert (result.value, result.stale, result.as_of) == ({"p": 1}, True, pinned_clock)


def test_failed_fetch_never_overwrites_the_good_entry(pinned_clock) -> None:
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    later = pinned_clock + timedelta(seconds=601)
    with clock.pinned(later):
        cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600)
    entry = cache.read(KEY)
    assert entry is not None and entry.value == {"p": 1}


def test_forced_refresh_that_fails_serves_stale() -> None:
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    result = cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600, force=True)
    assert (result.value, result.stale) == ({"p": 1}, True)


def test_forced_refresh_refetches_and_writes() -> None:
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    forced = cache.get_or_fetch(
        key=KEY, dataset="stock", fetch=lambda: {"p": 2}, fresh_ttl=ttl_600, force=True
    )
    assert forced.value == {"p": 2}
    assert cache.read(KEY).value == {"p": 2}


def test_nothing_cached_and_provider_down_raises_the_typed_error() -> None:
    with pytest.raises(ProviderUnavailable):
        cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600)


def test_unknown_symbol_is_remembered_without_asking_again() -> None:
    calls: list[int] = []

    def unknown() -> object:
        calls.append(1)
        raise TickerNotFound()

    for _ in range(3):
        with pytest.raises(TickerNotFound):
            cache.get_or_fetch(
                key=KEY, dataset="stock", fetch=unknown, fresh_ttl=ttl_600, remember_unknown=True
            )
    assert len(calls) == 1


def test_unknown_symbol_memory_lasts_an_hour(pinned_clock) -> None:
    def unknown() -> object:
        raise TickerNotFound()

    with pytest.raises(TickerNotFound):
        cache.get_or_fetch(key=KEY, dataset="stock", fetch=unknown, fresh_ttl=ttl_600, remember_unknown=True)
    with clock.pinned(pinned_clock + timedelta(seconds=3601)):
        result = cache.get_or_fetch(
            key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600, remember_unknown=True
        )
    assert result.value == {"p": 1}


def test_concurrent_misses_make_one_fetch() -> None:
    calls: list[int] = []
    started = threading.Event()

    def slow_fetch() -> object:
        calls.append(1)
        started.wait(0.3)
        return {"p": 1}

    results: list[object] = []

    def reader() -> None:
        with clock.pinned(clock.now()):
            results.append(
                cache.get_or_fetch(key=KEY, dataset="stock", fetch=slow_fetch, fresh_ttl=ttl_600).value
            )

    threads = [threading.Thread(target=reader) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert results == [{"p": 1}] * 20


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_redis_outage_falls_through_to_the_provider(redis_server: LocalRedis) -> None:
    redis_server.stop()
    calls: list[int] = []
    result = cache.get_or_fetch(
        key=KEY, dataset="stock", fetch=fetch_value({"p": 1}, calls), fresh_ttl=ttl_600
    )
    assert (result.value, result.cached, len(calls)) == ({"p": 1}, False, 1)


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_caching_resumes_when_redis_returns(redis_server: LocalRedis) -> None:
    redis_server.stop()
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    redis_server.start()
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    hit = cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600)
    assert hit.cached is True


def test_read_many_reads_several_entries_in_one_call() -> None:
    for symbol in ("AAPL", "MSFT"):
        cache.get_or_fetch(
            key=cache.stock_cache_key(symbol),
            dataset="stock",
            fetch=lambda s=symbol: {"s": s},
            fresh_ttl=ttl_600,
        )
    found = cache.read_many([cache.stock_cache_key("AAPL"), cache.stock_cache_key("MSFT"), KEY + "X"])
    assert {k: e.value for k, e in found.items()} == {
        cache.stock_cache_key("AAPL"): {"s": "AAPL"},
        cache.stock_cache_key("MSFT"): {"s": "MSFT"},
    }


def test_entry_outlives_its_fresh_ttl_by_the_retention(redis_server: LocalRedis, settings) -> None:
    settings.MARKETDATA_STALE_RETENTION = 1000
    cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
    ttl = redis.Redis.from_url(redis_server.url).ttl(KEY)
    assert 1500 < ttl <= 1600


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_local_layer_serves_hot_keys_without_redis(settings, redis_server: LocalRedis) -> None:
    settings.MARKETDATA_LOCAL_CACHE_SECONDS = 60
    try:
        cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
        redis_server.stop()
        hit = cache.get_or_fetch(key=KEY, dataset="stock", fetch=failing_fetch, fresh_ttl=ttl_600)
        assert (hit.value, hit.cached) == ({"p": 1}, True)
    finally:
        cache.local_entries.clear()


def test_local_layer_forgets_deleted_keys_at_once(settings) -> None:
    settings.MARKETDATA_LOCAL_CACHE_SECONDS = 60
    try:
        cache.get_or_fetch(key=KEY, dataset="stock", fetch=lambda: {"p": 1}, fresh_ttl=ttl_600)
        cache.delete_keys([KEY])
        assert cache.read(KEY) is None
    finally:
        cache.local_entries.clear()
