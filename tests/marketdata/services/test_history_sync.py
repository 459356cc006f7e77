"""Bringing stored history up to date over real HTTP to the sandbox: once in full, then what is missing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools.sandbox import data as sandbox_data
from marketdata import clock
from marketdata.history import history_bars, history_stored_through, history_sync

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY_CLOSE = datetime(2026, 11, 24, 16, 30, tzinfo=NEW_YORK)
WEDNESDAY_CLOSE = datetime(2026, 11, 25, 16, 30, tzinfo=NEW_YORK)


def test_a_first_sync_stores_the_full_history_in_one_call_per_symbol(sandbox) -> None:
    sync = history_sync(["AAPL", "MSFT"], now=TUESDAY_CLOSE)

    assert sync.plan.full == ("AAPL", "MSFT") and sync.errors == {}
    assert sandbox.control.count("aggs") == 2
    stored = history_bars("AAPL", since=TUESDAY_CLOSE.date() - timedelta(days=730))
    wire = [bar for bar in sandbox_data.daily_bars("AAPL", TUESDAY_CLOSE.date())][-len(stored) :]
    assert [bar.close for bar in stored] == [row["c"] for row in wire]
    assert stored[-1].session == TUESDAY_CLOSE.date()


def test_a_second_sync_in_the_same_session_makes_no_call(sandbox) -> None:
    history_sync(["AAPL"], now=TUESDAY_CLOSE)
    sandbox.control.reset()

    sync = history_sync(["AAPL"], now=TUESDAY_CLOSE)

    assert sync.plan.calls == 0 and sandbox.control.counters()["total"] == 0


def test_one_session_later_only_that_session_is_fetched(sandbox) -> None:
    history_sync(["AAPL"], now=TUESDAY_CLOSE)
    sandbox.control.reset()
    sandbox.control.pin_now(WEDNESDAY_CLOSE)

    with clock.pinned(WEDNESDAY_CLOSE):
        sync = history_sync(["AAPL"], now=clock.now())

    assert sync.plan.ranges == {"AAPL": (WEDNESDAY_CLOSE.date(), WEDNESDAY_CLOSE.date())}
    assert sandbox.control.count("aggs") == 1 and sync.stored == {"AAPL": 1}
    assert history_stored_through(["AAPL"]) == {"AAPL": WEDNESDAY_CLOSE.date()}


def test_an_unknown_symbol_is_an_error_beside_the_others(sandbox) -> None:
    sync = history_sync(["AAPL", "ZZZZ"], now=TUESDAY_CLOSE)

    assert sync.errors["ZZZZ"].code == "ticker_not_found"
    assert history_stored_through(["AAPL", "ZZZZ"])["AAPL"] == TUESDAY_CLOSE.date()


def test_many_symbols_one_session_behind_take_one_grouped_daily_call(sandbox) -> None:
    symbols = ["AAPL", "MSFT", "NVDA"]
    history_sync(symbols, now=TUESDAY_CLOSE)
    sandbox.control.reset()
    sandbox.control.pin_now(WEDNESDAY_CLOSE)

    with clock.pinned(WEDNESDAY_CLOSE):
        sync = history_sync(symbols, now=clock.now())

    counters = sandbox.control.counters()["by_endpoint"]
    assert counters == {"grouped_daily": 1} and sync.errors == {}
    wednesday = WEDNESDAY_CLOSE.date()
    for symbol in symbols:
        (stored,) = history_bars(symbol, since=wednesday)
        wire = sandbox_data.daily_bars(symbol, wednesday)[-1]
        assert (stored.session, stored.close, stored.volume) == (wednesday, wire["c"], wire["v"])
