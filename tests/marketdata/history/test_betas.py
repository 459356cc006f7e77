"""β from the stored bars: numpy's covariance / variance of the same rows, completed sessions only."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from marketdata import market_hours
from marketdata.domain import DailyBar
from marketdata.history import BENCHMARK_SYMBOL, history_store
from marketdata.models import SessionBar
from marketdata.services import betas_get

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
AFTER_CLOSE = datetime(2026, 11, 24, 16, 30, tzinfo=NY)
IN_SESSION = datetime(2026, 11, 24, 11, 0, tzinfo=NY)


def _store_walks(sessions: list[date], *, slope: float = 1.4) -> None:
    rng = np.random.default_rng(11)
    spy_returns = rng.normal(0.0, 0.01, len(sessions) - 1)
    aapl_returns = slope * spy_returns + rng.normal(0.0, 0.01, len(sessions) - 1)
    for symbol, start, returns in (("AAPL", 270.0, aapl_returns), (BENCHMARK_SYMBOL, 680.0, spy_returns)):
        closes = start * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
        history_store(
            symbol, [DailyBar(d, c, c, c, float(c), 1e6) for d, c in zip(sessions, closes, strict=True)]
        )


def _numpy_beta_of_stored(through: date) -> float:
    """From the rows as stored: the last 61 sessions both symbols have, up to `through`."""
    rows = SessionBar.objects.filter(session__lte=through).values_list("symbol", "session", "close")
    closes: dict[str, dict[date, float]] = {}
    for symbol, session, close in rows:
        closes.setdefault(symbol, {})[session] = close
    dates = sorted(closes["AAPL"].keys() & closes[BENCHMARK_SYMBOL].keys())[-61:]
    a = np.diff(np.log([closes["AAPL"][d] for d in dates]))
    b = np.diff(np.log([closes[BENCHMARK_SYMBOL][d] for d in dates]))
    return float(np.cov(a, b)[0, 1] / np.var(b, ddof=1))


def _sessions(count: int, through: date) -> list[date]:
    return market_hours.sessions_between(date(2026, 1, 1), through)[-count:]


def test_beta_is_numpys_over_the_last_61_completed_stored_sessions() -> None:
    _store_walks(_sessions(80, date(2026, 11, 24)))

    found = betas_get(["AAPL", BENCHMARK_SYMBOL], now=AFTER_CLOSE)

    assert found["AAPL"].beta == pytest.approx(_numpy_beta_of_stored(date(2026, 11, 24)), rel=1e-9)
    last = {bar.symbol: bar.close for bar in SessionBar.objects.filter(session=date(2026, 11, 24))}
    assert found["AAPL"].price_ratio == pytest.approx(last["AAPL"] / last[BENCHMARK_SYMBOL])
    assert (found[BENCHMARK_SYMBOL].beta, found[BENCHMARK_SYMBOL].price_ratio) == (1.0, 1.0)


def test_the_session_still_running_is_not_one_of_them() -> None:
    _store_walks(_sessions(80, date(2026, 11, 24)))  # a bar for today, as if it had been stored

    found = betas_get(["AAPL"], now=IN_SESSION)

    assert found["AAPL"].beta == pytest.approx(_numpy_beta_of_stored(date(2026, 11, 23)), rel=1e-9)


def test_a_session_missing_from_the_last_61_leaves_beta_unknown() -> None:
    sessions = _sessions(80, date(2026, 11, 24))
    _store_walks(sessions)
    SessionBar.objects.filter(symbol=BENCHMARK_SYMBOL, session=sessions[-10]).delete()

    assert betas_get(["AAPL"], now=AFTER_CLOSE)["AAPL"].beta is None


def test_a_symbol_without_stored_history_has_no_beta() -> None:
    _store_walks(_sessions(80, date(2026, 11, 24)))
    assert betas_get(["NVDA"], now=AFTER_CLOSE)["NVDA"].beta is None
