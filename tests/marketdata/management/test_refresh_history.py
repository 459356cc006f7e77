"""`refresh_market_data` and stored daily history: fetched once, extended by the fewest calls, split-safe.

Over real HTTP to the sandbox, with real Redis and the test database. A "session later" moves
both clocks: the sandbox's (`pin_now`) and mojo's (`clock.pinned`).
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.management import call_command

from devtools.sandbox import data as sandbox_data
from marketdata import cache, clock
from marketdata.models import SessionBar, SymbolHistory
from tests.conftest import AFTER_CLOSE, SANDBOX_TODAY
from tests.factories import PositionFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY = date(2026, 11, 25)
WEDNESDAY_CLOSE = datetime(2026, 11, 25, 16, 30, tzinfo=NEW_YORK)
FRIDAY_CLOSE = datetime(2026, 11, 27, 17, 0, tzinfo=NEW_YORK)  # Thursday is Thanksgiving
THREE = ("AAPL", "MSFT", "NVDA")


def _refresh(*args: str) -> str:
    out = io.StringIO()
    call_command("refresh_market_data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _endpoints(sandbox) -> dict[str, int]:
    return sandbox.control.counters()["by_endpoint"]


def _aggs_paths(sandbox, symbol: str) -> list[str]:
    return [
        path
        for path in sandbox.control.counters()["by_path"]
        if path.startswith(f"/v2/aggs/ticker/{symbol}/")
    ]


def _stock(symbol: str) -> dict:
    entry = cache.read(cache.stock_cache_key(symbol))
    assert entry is not None
    return entry.value


def test_the_cron_refresh_stores_history_for_watched_and_held_symbols_and_the_benchmark(sandbox) -> None:
    WatchlistItemFactory.create(ticker__symbol="AAPL")
    PositionFactory.create(ticker__symbol="KO")  # held, not watched

    output = _refresh("--only", "stock")

    assert sorted(SymbolHistory.objects.values_list("symbol", flat=True)) == ["AAPL", "KO", "SPY"]
    # One full history each, nothing else to check yet; the watched symbol's reference data.
    assert _endpoints(sandbox) == {"aggs": 3, "ticker_details": 1, "dividends": 1}
    assert output.splitlines()[0].startswith("AAPL: ok stock=fetched")  # stock data only for the watched


def test_a_session_later_many_symbols_take_one_grouped_daily_call_and_no_full_history(sandbox) -> None:
    _refresh("--tickers", *THREE, "--only", "stock")
    sandbox.control.reset()
    sandbox.control.pin_now(WEDNESDAY_CLOSE)

    with clock.pinned(WEDNESDAY_CLOSE):
        output = _refresh("--tickers", *THREE, "--only", "stock")

    assert _endpoints(sandbox) == {"splits": 1, "grouped_daily": 1, "dividends": 1}  # the day's checks
    for symbol in THREE:
        assert f"{symbol}: ok stock=fetched" in output
        wire = sandbox_data.daily_bars(symbol, WEDNESDAY)[-1]
        assert _stock(symbol)["price"] == pytest.approx(wire["c"], abs=0.005)
        assert _stock(symbol)["session"] == WEDNESDAY.isoformat()


def test_a_session_later_one_symbol_takes_the_cheaper_range_of_just_that_session(sandbox) -> None:
    _refresh("--tickers", "AAPL", "--only", "stock")
    sandbox.control.reset()
    sandbox.control.pin_now(WEDNESDAY_CLOSE)

    with clock.pinned(WEDNESDAY_CLOSE):
        _refresh("--tickers", "AAPL", "--only", "stock")

    assert _endpoints(sandbox) == {"splits": 1, "aggs": 1, "dividends": 1}
    (path,) = _aggs_paths(sandbox, "AAPL")
    assert path.endswith(f"/{WEDNESDAY.isoformat()}/{WEDNESDAY.isoformat()}")


def test_before_the_open_the_latest_price_is_the_last_close_and_no_snapshot_is_asked(sandbox) -> None:
    _refresh("--tickers", "AAPL", "--only", "stock")
    sandbox.control.reset()
    before_open = datetime(2026, 11, 25, 8, 0, tzinfo=NEW_YORK)
    sandbox.control.pin_now(before_open)

    with clock.pinned(before_open):
        _refresh("--tickers", "AAPL", "--only", "stock", "--force")

    assert _endpoints(sandbox) == {"splits": 1, "dividends": 1}  # the day's checks, no snapshot
    tuesday, monday = (
        sandbox_data.daily_bars("AAPL", SANDBOX_TODAY)[-1],
        sandbox_data.daily_bars("AAPL", SANDBOX_TODAY)[-2],
    )
    assert (_stock("AAPL")["price"], _stock("AAPL")["session"]) == (
        pytest.approx(tuesday["c"], abs=0.005),
        "2026-11-24",
    )
    assert _stock("AAPL")["change"] == pytest.approx(tuesday["c"] - monday["c"], abs=0.01)


def test_a_failed_splits_check_does_not_fail_the_refresh_and_is_asked_again(sandbox) -> None:
    _refresh("--tickers", "AAPL", "--only", "stock")
    sandbox.control.pin_now(WEDNESDAY_CLOSE)
    sandbox.control.fault(path="/v3/reference/splits", kind="status", status=500, count=10)

    with clock.pinned(WEDNESDAY_CLOSE):
        output = _refresh("--tickers", "AAPL", "--only", "stock")
        assert "AAPL: ok stock=fetched" in output
        sandbox.control.reset()
        sandbox.control.pin_now(WEDNESDAY_CLOSE)
        _refresh("--tickers", "AAPL", "--only", "stock")

    assert _endpoints(sandbox) == {"splits": 1}  # the failed check is not the day's check


# --- Splits ------------------------------------------------------------------------------------
def _raw_bars(sandbox, symbol: str, until: date = SANDBOX_TODAY) -> list[dict]:
    """The sandbox's unadjusted bars (each session at its own price level), straight off the wire."""
    start = (until - timedelta(days=730)).isoformat()
    answer = requests.get(
        f"{sandbox.base_url}/v2/aggs/ticker/{symbol}/range/1/day/{start}/{until.isoformat()}",
        params={"adjusted": "false", "sort": "asc", "limit": 50000, "apiKey": "test"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["results"]


def _session(bar: dict) -> date:
    return datetime.fromtimestamp(bar["t"] / 1000, tz=NEW_YORK).date()


def test_a_split_listed_after_the_days_check_is_seen_by_the_next_days_and_only_that_symbol_refetched(
    sandbox,
) -> None:
    _refresh("--tickers", "AAPL", "MSFT", "--only", "stock")
    before = _stock("MSFT")["indicators"]
    sandbox.control.reset()  # counters (a reset also undoes splits: it comes first)
    executed = sandbox.control.split("MSFT", 1, 4)  # 4-for-1, today, after today's check
    with clock.pinned(AFTER_CLOSE + timedelta(minutes=10)):
        _refresh("--tickers", "AAPL", "MSFT", "--only", "stock")
    assert "splits" not in _endpoints(sandbox)  # checked once a day
    sandbox.control.pin_now(WEDNESDAY_CLOSE)

    with clock.pinned(WEDNESDAY_CLOSE):  # the next day's first cycle
        output = _refresh("--tickers", "AAPL", "MSFT", "--only", "stock")

    assert "MSFT: ok stock=fetched" in output and "AAPL: ok stock=fetched" in output
    # MSFT's whole history again; AAPL only its missing Wednesday.
    assert len(_aggs_paths(sandbox, "MSFT")) == 1
    assert _aggs_paths(sandbox, "AAPL") == ["/v2/aggs/ticker/AAPL/range/1/day/2026-11-25/2026-11-25"]
    # The test's own adjustment of the raw bars: sessions before the split at a quarter.
    raw = _raw_bars(sandbox, "MSFT", until=WEDNESDAY)
    adjusted = [
        {key: bar[key] * (0.25 if _session(bar) < executed else 1) for key in ("h", "l", "c")} for bar in raw
    ]
    after = _stock("MSFT")["indicators"]
    assert after["sma_200"] == pytest.approx(sum(bar["c"] for bar in adjusted[-200:]) / 200, abs=0.01)
    assert after["high_52w"] == pytest.approx(max(bar["h"] for bar in adjusted[-252:]), abs=0.01)
    assert after["low_52w"] == pytest.approx(min(bar["l"] for bar in adjusted[-252:]), abs=0.01)
    assert before["sma_200"] / after["sma_200"] == pytest.approx(4, rel=0.01)  # it had not seen the split
    assert SessionBar.objects.filter(symbol="MSFT").count() == len(raw)


def test_a_split_already_reflected_does_not_make_the_history_be_fetched_again(sandbox) -> None:
    _refresh("--tickers", "MSFT", "--only", "stock")
    sandbox.control.split("MSFT", 1, 4)
    sandbox.control.pin_now(WEDNESDAY_CLOSE)
    with clock.pinned(WEDNESDAY_CLOSE):
        _refresh("--tickers", "MSFT", "--only", "stock")  # sees the split: fetches MSFT again
    refetched = SymbolHistory.objects.get(symbol="MSFT").fetched_at
    rows = SessionBar.objects.filter(symbol="MSFT").count()
    sandbox.control.pin_now(FRIDAY_CLOSE)

    with clock.pinned(FRIDAY_CLOSE):  # the next check lists the same split again
        _refresh("--tickers", "MSFT", "--only", "stock", "--force")

    assert _endpoints(sandbox)["splits"] == 2
    assert SymbolHistory.objects.get(symbol="MSFT").fetched_at == refetched  # not fetched in full
    assert SessionBar.objects.filter(symbol="MSFT").count() == rows + 1  # Friday's session only
