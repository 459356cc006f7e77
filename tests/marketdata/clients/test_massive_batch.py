"""The market-wide Massive calls (grouped daily, stocks snapshot, splits) against the sandbox."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from devtools.sandbox import data as sandbox_data
from marketdata.clients import get_massive_client, massive
from tests.conftest import NEW_YORK, SANDBOX_TODAY

IN_SESSION = datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)
BEFORE_OPEN = datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK)


def test_grouped_daily_gives_each_symbol_its_session_bar(sandbox) -> None:
    market = get_massive_client().get_grouped_daily(SANDBOX_TODAY)

    wire = sandbox_data.daily_bars("AAPL", SANDBOX_TODAY)[-1]
    assert market["AAPL"].session == SANDBOX_TODAY and market["AAPL"].close == wire["c"]
    assert len(market) == len(sandbox_data.UNIVERSE)
    assert sandbox.control.count("grouped_daily") == 1


def test_grouped_daily_of_a_holiday_has_no_bars(sandbox) -> None:
    assert get_massive_client().get_grouped_daily(date(2026, 11, 26)) == {}


def test_the_snapshot_in_session_is_todays_partial_bar(sandbox) -> None:
    sandbox.control.pin_now(IN_SESSION)

    bars = get_massive_client().get_stocks_snapshot(["AAPL", "MSFT", "ZZZZ"], session=SANDBOX_TODAY)

    partial = sandbox_data.daily_bars("AAPL", SANDBOX_TODAY, IN_SESSION)[-1]
    assert set(bars) == {"AAPL", "MSFT"}  # an unknown ticker is left out
    assert (bars["AAPL"].session, bars["AAPL"].close) == (SANDBOX_TODAY, partial["c"])
    assert sandbox.control.count("stocks_snapshot") == 1


def test_before_the_open_the_zero_day_is_no_bar(sandbox) -> None:
    sandbox.control.pin_now(BEFORE_OPEN)

    assert get_massive_client().get_stocks_snapshot(["AAPL"], session=SANDBOX_TODAY) == {}


def test_a_long_ticker_list_is_split_into_calls_that_fit_a_url(sandbox, monkeypatch) -> None:
    monkeypatch.setattr(massive, "MAX_TICKERS_IN_URL", 12)
    tickers = ["AAPL", "MSFT", "NVDA", "GOOGL", "SPY"]

    bars = get_massive_client().get_stocks_snapshot(tickers, session=SANDBOX_TODAY)

    assert set(bars) == set(tickers)
    assert sandbox.control.count("stocks_snapshot") == 3  # AAPL,MSFT · NVDA,GOOGL · SPY


def test_splits_since_a_date_are_listed_oldest_first(sandbox) -> None:
    splits = get_massive_client().list_splits(since=date(2024, 1, 1))

    avgo = next(split for split in splits if split.symbol == "AVGO")
    assert avgo.execution_date == date(2024, 7, 15) and avgo.price_factor == pytest.approx(0.1)
    assert [s.execution_date for s in splits] == sorted(s.execution_date for s in splits)


def test_a_split_made_today_is_listed(sandbox) -> None:
    executed = sandbox.control.split("MSFT", 1, 2)

    splits = get_massive_client().list_splits(since=SANDBOX_TODAY)

    assert [(s.symbol, s.execution_date, s.price_factor) for s in splits] == [("MSFT", executed, 0.5)]
