"""Earnings of many symbols: one calendar call, per-symbol calls only for symbols it lacks (kept a week)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from django_redis import get_redis_connection

from devtools.sandbox.data import UNIVERSE
from marketdata import cache, clock, datasets, services
from marketdata.cache import Cached
from marketdata.clients import get_fmp_client
from marketdata.earnings_calendar import LOOKUP_SECONDS, fetch_earnings_many
from marketdata.entitlements import entitlement_lacking
from marketdata.exceptions import EarningsUnavailable, MojoError, ProviderUnavailable
from marketdata.symbols import Symbol
from tests.conftest import AFTER_CLOSE, SANDBOX_TODAY

CALENDAR = "/stable/earnings-calendar"
SYMBOLS = [Symbol(symbol) for symbol in UNIVERSE]
FUNDS = {"SPY", "QQQ", "IWM"}
WINDOW_END = SANDBOX_TODAY + timedelta(days=90)


def calendar_calls(sandbox) -> int:
    return sandbox.control.count("fmp_earnings_calendar")


def per_symbol_calls(sandbox) -> int:
    return sandbox.control.count("fmp_earnings")


def lacking_a_date() -> set[str]:
    """The symbols with no report in the next 90 days (asked of FMP directly; counts spent)."""
    calendar = get_fmp_client().earnings_calendar(SANDBOX_TODAY, WINDOW_END)
    return {symbol for symbol in UNIVERSE if symbol not in calendar}


def values(outcomes: Mapping[Symbol, Cached[Any] | MojoError]) -> dict[str, Any]:
    assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
    return {symbol: outcome.value for symbol, outcome in outcomes.items() if isinstance(outcome, Cached)}


def per_symbol_dates(symbol: str, *, within_window: bool) -> list[str]:
    dates = get_fmp_client().upcoming_earnings(symbol, SANDBOX_TODAY)
    return [d.isoformat() for d in dates if not within_window or d <= WINDOW_END]


def test_every_universe_symbol_costs_one_calendar_call(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    assert calendar_calls(sandbox) == 1


def test_only_symbols_without_a_date_in_the_window_are_asked_one_by_one(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    asked = per_symbol_calls(sandbox)
    lacking = lacking_a_date()
    assert lacking >= FUNDS
    assert asked == len(lacking)


def test_the_entries_hold_the_per_symbol_endpoints_dates_in_the_window(sandbox) -> None:
    found = values(datasets.EARNINGS.get_many(SYMBOLS))
    assert found == {symbol: per_symbol_dates(symbol, within_window=True) for symbol in UNIVERSE}
    assert all(found[fund] == [] for fund in FUNDS)


def test_a_forced_cycle_asks_the_calendar_again_but_no_symbol_one_by_one(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    before = per_symbol_calls(sandbox)
    datasets.EARNINGS.get_many(SYMBOLS, force=True)
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox) - before) == (2, 0)


def test_a_cycle_after_the_entries_expire_asks_no_symbol_one_by_one(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    before = per_symbol_calls(sandbox)
    with clock.pinned(AFTER_CLOSE + timedelta(days=2)):  # past the entries' 86400 s
        outcomes = datasets.EARNINGS.get_many(SYMBOLS)
    assert all(isinstance(o, Cached) and not o.cached for o in outcomes.values())  # fetched again
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox) - before) == (2, 0)


def test_a_per_symbol_answer_is_kept_a_week(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    key = cache.earnings_lookup_cache_key("SPY")
    assert cache.get_value(key) == []
    assert LOOKUP_SECONDS - 60 < get_redis_connection("default").ttl(key) <= LOOKUP_SECONDS == 7 * 24 * 3600


def test_a_forgotten_per_symbol_answer_is_asked_again(sandbox) -> None:
    datasets.EARNINGS.get_many(SYMBOLS)
    before = per_symbol_calls(sandbox)
    cache.delete_keys([cache.earnings_lookup_cache_key("SPY")])
    datasets.EARNINGS.get_many(SYMBOLS, force=True)
    assert per_symbol_calls(sandbox) - before == 1


def test_one_symbols_read_is_one_per_symbol_call(sandbox) -> None:
    datasets.EARNINGS.get(Symbol("AAPL"))
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox)) == (0, 1)


def test_a_batch_of_two_is_asked_one_by_one_not_with_the_markets_calendar(sandbox) -> None:
    found = datasets.EARNINGS.get_many([Symbol("AAPL"), Symbol("SPY")])
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox)) == (0, 2)
    assert found[Symbol("AAPL")].value == per_symbol_dates("AAPL", within_window=False)


@pytest.mark.parametrize("status", [402, 403])
def test_without_the_calendar_in_the_plan_every_symbol_is_asked_one_by_one(sandbox, status: int) -> None:
    sandbox.control.entitlement(CALENDAR, False, status=status)
    found = values(datasets.EARNINGS.get_many(SYMBOLS))
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox)) == (1, len(SYMBOLS))
    assert found == {symbol: per_symbol_dates(symbol, within_window=False) for symbol in UNIVERSE}
    assert entitlement_lacking("fmp_earnings_calendar")


def test_the_next_cycle_does_not_ask_a_calendar_the_plan_lacks(sandbox) -> None:
    sandbox.control.entitlement(CALENDAR, False)
    datasets.EARNINGS.get_many(SYMBOLS)
    values(datasets.EARNINGS.get_many(SYMBOLS, force=True))
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox)) == (1, 2 * len(SYMBOLS))


def test_the_calendar_failing_gives_every_symbol_its_error(sandbox) -> None:
    sandbox.control.fault(path=CALENDAR, kind="status", status=503, count=3)
    outcomes = datasets.EARNINGS.get_many(SYMBOLS)
    assert all(isinstance(outcome, ProviderUnavailable) for outcome in outcomes.values())
    assert per_symbol_calls(sandbox) == 0


def test_the_calendar_failing_serves_the_entries_stale(sandbox) -> None:
    fresh = values(datasets.EARNINGS.get_many(SYMBOLS))
    sandbox.control.fault(path=CALENDAR, kind="status", status=503, count=3)
    outcomes = datasets.EARNINGS.get_many(SYMBOLS, force=True)
    assert all(isinstance(o, Cached) and o.stale for o in outcomes.values())
    assert {symbol: o.value for symbol, o in outcomes.items() if isinstance(o, Cached)} == fresh


def test_no_key_makes_every_symbols_earnings_unavailable_without_a_request(sandbox, settings) -> None:
    settings.FMP_API_KEY = ""
    outcomes = fetch_earnings_many(SYMBOLS, None)
    assert all(isinstance(outcome, EarningsUnavailable) for outcome in outcomes.values())
    assert sandbox.control.counters()["total"] == 0


def test_a_per_symbol_failure_is_that_symbols_alone(sandbox) -> None:
    # The calendar (the first request) passes; SPY's per-symbol attempts fail.
    sandbox.control.fault(path="/stable/earnings", kind="status", status=503, count=3, after=1)
    outcomes = fetch_earnings_many([Symbol("AAPL"), Symbol("MSFT"), Symbol("SPY")], None)
    assert isinstance(outcomes[Symbol("SPY")], ProviderUnavailable)
    assert outcomes[Symbol("AAPL")] == per_symbol_dates("AAPL", within_window=True)
    assert outcomes[Symbol("MSFT")] == per_symbol_dates("MSFT", within_window=True)
    assert cache.get_value(cache.earnings_lookup_cache_key("SPY")) is None  # a failure is not kept


# --- What users see ----------------------------------------------------------------------------
@pytest.mark.django_db  # the dashboard's stock data comes from stored history
def test_the_dashboard_reads_earnings_with_one_calendar_call(sandbox) -> None:
    symbols = ["AAPL", "MSFT", "BRK.B", "SPY", "KALU"]
    snapshot = services.market_snapshot_get(symbols=symbols, fetch_missing=True)
    assert (calendar_calls(sandbox), per_symbol_calls(sandbox)) == (1, 1)  # SPY, a fund
    assert {s: snapshot.earnings[s].status for s in symbols} == {
        "AAPL": "scheduled",
        "MSFT": "scheduled",
        "BRK.B": "scheduled",
        "SPY": "none",
        "KALU": "scheduled",
    }


@pytest.mark.django_db
def test_fmp_down_shows_earnings_unknown_on_the_dashboard(sandbox) -> None:
    sandbox.control.fault(path="/stable/", kind="status", status=503, count=1000)
    snapshot = services.market_snapshot_get(symbols=["AAPL", "SPY"], fetch_missing=True)
    assert {s: snapshot.earnings[s].status for s in ("AAPL", "SPY")} == {"AAPL": "unknown", "SPY": "unknown"}
    assert "AAPL" in snapshot.stocks  # earnings failing is not the symbol's failure


def test_fmp_down_shows_one_symbols_earnings_unknown(sandbox) -> None:
    sandbox.control.down()
    assert services.earnings_get("AAPL").status == "unknown"
