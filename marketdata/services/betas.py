"""Betas against the benchmark (SPY) from stored history: one query for every symbol asked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from marketdata import market_hours, risk
from marketdata.history import BENCHMARK_SYMBOL, session_closes


def betas_get(symbols: Iterable[str], *, now: datetime) -> dict[str, risk.Beta]:
    """Each symbol's β against SPY over the last 61 completed sessions, from the stored bars.

    The sessions are the NYSE's last 61 closed at `now` (the running one is not yet stored
    history); a session either series lacks drops out of both, and fewer than 61 left make
    β unknown (`risk.beta`). The refresh always keeps SPY's history; SPY's own β is 1.
    """
    wanted = list(dict.fromkeys(symbols))
    window = market_hours.completed_sessions(now, risk.BETA_SESSIONS)
    closes = session_closes((symbol, day) for symbol in {*wanted, BENCHMARK_SYMBOL} for day in window)
    series: dict[str, dict[date, float]] = defaultdict(dict)
    for (symbol, day), close in closes.items():
        series[symbol][day] = close
    benchmark = series[BENCHMARK_SYMBOL]
    return {
        symbol: risk.BENCHMARK_BETA if symbol == BENCHMARK_SYMBOL else risk.beta_of(series[symbol], benchmark)
        for symbol in wanted
    }
