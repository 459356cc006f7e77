"""Market-data services against the sandbox (real HTTP) and the suite's real Redis."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
import redis
from django import db

from devtools.localredis import LocalRedis
from marketdata import cache, clock, market_hours, services, strategies
from marketdata.exceptions import InvalidSymbol, ProviderUnavailable, TickerNotFound

pytestmark = pytest.mark.django_db(transaction=False)


def test_stock_data_is_fetched_then_served_fresh_from_the_cache(sandbox) -> None:
    first = services.stock_data_get("aapl")
    second = services.stock_data_get("AAPL")
    assert (first.cached, second.cached, second.stale) == (False, True, False)
    assert sandbox.control.count("aggs") == 1
    assert second.value["price"] == first.value["price"]


def test_stock_data_has_price_change_and_enough_bars_for_sma200(sandbox) -> None:
    payload = services.stock_data_get("MSFT").value
    bars = services.stock_bars(services.stock_bars_get("MSFT").value)
    assert len(bars) >= 400
    assert payload["price"] == bars[-1].close
    assert payload["change"] == pytest.approx(bars[-1].close - bars[-2].close, abs=1e-4)
    assert payload["indicators"]["sma_200"] is not None


def test_past_fresh_ttl_with_the_provider_down_serves_the_old_payload_as_stale(sandbox, pinned_clock) -> None:
    fresh = services.stock_data_get("AAPL")
    sandbox.control.down()
    with clock.pinned(pinned_clock + timedelta(days=1)):  # the next session must be fetched
        stale = services.stock_data_get("AAPL")
    assert (stale.stale, stale.cached, stale.value, stale.as_of) == (True, True, fresh.value, fresh.as_of)


def test_nothing_cached_and_provider_down_raises_provider_unavailable(sandbox) -> None:
    sandbox.control.down()
    with pytest.raises(ProviderUnavailable):
        services.stock_data_get("AAPL")


def test_unknown_symbol_raises_not_found_and_is_not_asked_again(sandbox) -> None:
    for _ in range(2):
        with pytest.raises(TickerNotFound):
            services.stock_data_get("ZZZZ")
    assert sandbox.control.count("aggs") == 1


def test_malformed_symbol_never_reaches_a_key_or_the_provider(sandbox, redis_server: LocalRedis) -> None:
    with pytest.raises(InvalidSymbol):
        services.stock_data_get("../etc/passwd")
    assert sandbox.control.counters()["total"] == 0
    assert redis.Redis.from_url(redis_server.url).dbsize() == 0


def test_chain_combines_the_two_filtered_calls(sandbox) -> None:
    chain = services.options_chain_get("AAPL").value
    contracts = services.chain_contracts(chain)
    today = clock.market_today()
    dtes = {(c.expiration - today).days for c in contracts}
    assert sandbox.control.count("options_chain") >= 2
    assert all(0 <= d <= 60 or 365 <= d <= 900 for d in dtes)
    assert all(c.contract_type == "call" for c in contracts if (c.expiration - today).days >= 365)
    assert any(c.contract_type == "put" for c in contracts)
    assert chain["spot"] == pytest.approx(services.stock_data_get("AAPL").value["price"])


def test_one_failing_chain_call_stores_no_new_chain(sandbox, pinned_clock) -> None:
    services.options_chain_get("AAPL")
    before = cache.read(cache.options_cache_key("AAPL"))
    assert before is not None
    today = clock.market_today()
    short_contracts = [c for c in services.chain_contracts(before.value) if (c.expiration - today).days <= 60]
    short_pages = -(-len(short_contracts) // 250)
    # The short-window call succeeds; the long-window call (the second) fails on every attempt.
    sandbox.control.fault(
        path="/v3/snapshot/options/AAPL", kind="status", status=500, count=3, after=short_pages
    )
    result = services.options_chain_get("AAPL", force_refresh=True)
    after = cache.read(cache.options_cache_key("AAPL"))
    assert result.stale is True
    assert after is not None and after.fetched_at == before.fetched_at


# Each thread has its own connection: with SQLite's shared in-memory test database they must not
# wait on the test's own open transaction.
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_missing_one_symbol_make_one_aggs_request(sandbox) -> None:
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    at = clock.now()

    def read() -> None:
        clock.pin(at)
        barrier.wait()
        try:
            services.stock_data_get("NVDA")
        except BaseException as error:
            errors.append(error)
        finally:
            db.connections.close_all()  # the thread's own connection, or the test database stays in use

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sandbox.control.count("aggs") == 1


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_redis_outage_still_returns_data_and_caching_resumes(sandbox, redis_server: LocalRedis) -> None:
    redis_server.stop()
    during = services.stock_data_get("AAPL")
    redis_server.start()
    services.stock_data_get("AAPL")
    after = services.stock_data_get("AAPL")
    assert during.value["price"] == after.value["price"]
    assert after.cached is True


def test_option_price_follows_the_spec_priority(sandbox) -> None:
    chain = services.options_chain_get("AAPL").value
    contract = next(c for c in services.chain_contracts(chain) if c.bid and c.ask)
    quote = services.option_price_get("AAPL", contract.option_ticker).value
    assert quote["price_source"] == "mid"
    assert quote["price"] == pytest.approx((contract.bid + contract.ask) / 2)


def test_option_of_another_symbol_is_refused(sandbox) -> None:
    from marketdata.exceptions import InvalidOptionTicker

    with pytest.raises(InvalidOptionTicker):
        services.option_price_get("A", "O:AAPL261218C00200000")


def test_next_earnings_the_day_after_a_report_is_the_following_one(sandbox) -> None:
    first = services.earnings_get("AAPL")
    assert first.next_date is not None and len(first.upcoming) >= 2
    day_after = datetime.combine(
        first.next_date + timedelta(days=1), datetime.min.time(), tzinfo=market_hours.NEW_YORK
    )
    sandbox.control.down()  # so the answer can only come from the cached list, picked at read time
    with clock.pinned(day_after.replace(hour=12)):
        later = services.earnings_get("AAPL")
    assert later.cached is True
    assert later.next_date == first.upcoming[1]


def test_earnings_without_fmp_key_are_unknown_not_none(sandbox, settings) -> None:
    settings.FMP_API_KEY = ""
    info = services.earnings_get("AAPL")
    assert (info.status, info.next_date) == ("unknown", None)


def test_invalidate_symbol_leaves_other_symbols_alone(sandbox) -> None:
    services.stock_data_get("AAPL")
    services.stock_data_get("A")
    chain = services.options_chain_get("A").value
    a_contract = services.chain_contracts(chain)[0]
    services.option_price_get("A", a_contract.option_ticker)
    aapl_chain = services.options_chain_get("AAPL").value
    aapl_contract = services.chain_contracts(aapl_chain)[0]
    services.option_price_get("AAPL", aapl_contract.option_ticker)

    services.symbol_invalidate("AAPL")

    assert cache.read(cache.stock_cache_key("AAPL")) is None
    assert cache.read(cache.option_price_cache_key(aapl_contract.option_ticker)) is None
    assert cache.read(cache.stock_cache_key("A")) is not None
    assert cache.read(cache.option_price_cache_key(a_contract.option_ticker)) is not None


def test_refresh_writes_last_refresh_and_iv_snapshot(sandbox) -> None:
    from marketdata.models import IVSnapshot

    report = services.market_data_refresh(symbols=["SPY"])
    assert [r.ok for r in report.results] == [True], report
    assert services.last_refresh_get() == report.last_refresh
    snapshot = IVSnapshot.objects.get(ticker="SPY")
    assert snapshot.session_date == date(2026, 11, 24)


def test_bars_are_stored_by_the_same_fetch_as_stock_data(sandbox) -> None:
    services.stock_data_get("AAPL")
    bars = services.stock_bars_get("AAPL")
    assert bars.cached is True
    assert sandbox.control.count("aggs") == 1
    assert services.stock_bars(bars.value)[-1].close == services.stock_data_get("AAPL").value["price"]


def test_missing_bars_entry_is_rebuilt_from_stored_history(sandbox) -> None:
    services.stock_data_get("AAPL")
    cache.delete_keys([cache.bars_cache_key("AAPL")])
    assert services.stock_bars_get("AAPL").cached is False
    assert sandbox.control.count("aggs") == 1


def test_many_stock_data_returns_results_and_per_symbol_errors(sandbox) -> None:
    services.stock_data_get("AAPL")  # one hit, the rest are misses
    batch = services.stock_data_get_many(["AAPL", "msft", "ZZZZ", "not a symbol"])
    assert set(batch.results) == {"AAPL", "MSFT"}
    assert batch.results["AAPL"].cached is True and batch.results["MSFT"].cached is False
    assert {k: e.code for k, e in batch.errors.items()} == {
        "ZZZZ": "ticker_not_found",
        "not a symbol": "invalid_symbol",
    }


def test_many_stock_data_reads_the_cached_ones_in_one_round_trip(sandbox, monkeypatch) -> None:
    for symbol in ("AAPL", "MSFT", "NVDA"):
        services.stock_data_get(symbol)
    calls: list[int] = []
    original = cache.read_many

    def counting(keys):
        calls.append(1)
        return original(keys)

    monkeypatch.setattr(cache, "read_many", counting)
    batch = services.stock_data_get_many(["AAPL", "MSFT", "NVDA"])
    assert len(batch.results) == 3 and len(calls) == 1


def test_cached_signal_counts_count_every_qualifying_candidate(sandbox, settings) -> None:
    chain = services.options_chain_get("AAPL").value
    today = clock.market_today()
    earnings = services.earnings_get("AAPL")
    analysed = services.chain_analyse(chain, today=today)
    ranked = strategies.generate_signals(
        analysed,
        spot=chain["spot"],
        today=today,
        earnings_date=earnings.next_date,
        earnings_known=True,
        include_earnings=False,
        shares_held=0,
        thresholds=replace(strategies.THRESHOLDS, max_candidates=100_000),
    )
    counts = strategies.signal_counts(
        chain["signal_expirations"], today=today, earnings_date=earnings.next_date, earnings_known=True
    )
    assert counts == {
        "csp": len(ranked["csp"]),
        "covered_call": len(ranked["covered_call"]),
        "leaps": len(ranked["leaps"]),
        "pmcc": len({candidate["legs"][1]["option_ticker"] for candidate in ranked["pmcc"]}),
    }
    assert counts["csp"] > strategies.THRESHOLDS.max_candidates
    assert 0 < counts["pmcc"] < len(ranked["pmcc"])
