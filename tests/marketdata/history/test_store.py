"""The stored history table: one row per symbol and session, overwritten, read back in order, forgotten."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketdata.domain import DailyBar
from marketdata.history import history_bars, history_forget, history_store, history_stored_through
from marketdata.models import SymbolHistory

pytestmark = pytest.mark.django_db

START = date(2026, 11, 2)


def bars(count: int, *, close: float = 100.0) -> list[DailyBar]:
    return [
        DailyBar(START + timedelta(days=i), close, close + 1, close - 1, close + i, 1e6, close, 1000)
        for i in range(count)
    ]


def test_stored_sessions_read_back_in_order_from_a_date() -> None:
    history_store("AAPL", bars(5))
    assert history_bars("AAPL", since=START + timedelta(days=2)) == bars(5)[2:]


def test_storing_a_session_again_overwrites_it() -> None:
    history_store("AAPL", bars(3))
    history_store("AAPL", bars(2, close=50.0))
    stored = history_bars("AAPL", since=START)
    assert [bar.close for bar in stored] == [50.0, 51.0, 102.0]


def test_forgetting_a_symbol_deletes_its_sessions_and_asks_for_a_full_fetch() -> None:
    history_store("AAPL", bars(3))
    history_store("MSFT", bars(2))
    SymbolHistory.objects.create(
        symbol="AAPL", checked_through=START + timedelta(days=2), splits_through=START
    )
    SymbolHistory.objects.create(
        symbol="MSFT", checked_through=START + timedelta(days=1), splits_through=START
    )

    assert history_forget("AAPL") == 3

    assert history_stored_through(["AAPL", "MSFT", "NVDA"]) == {
        "AAPL": None,
        "MSFT": START + timedelta(days=1),
        "NVDA": None,
    }
    assert history_bars("AAPL", since=START) == [] and len(history_bars("MSFT", since=START)) == 2
