"""Portfolio risk, pure: β against numpy's, beta-weighted delta and capital at risk by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from marketdata.risk import (
    BENCHMARK_BETA,
    Beta,
    Exposure,
    beta,
    beta_of,
    beta_weighted_delta,
    risk_totals,
)
from marketdata.trade_figures import TradeGreeks

START = date(2026, 8, 3)


def _series(n: int, *, slope: float = 1.3, seed: int = 7) -> tuple[dict[date, float], dict[date, float]]:
    """Two random walks of `n` days, the asset's returns `slope` × the benchmark's plus noise."""
    rng = np.random.default_rng(seed)
    benchmark_returns = rng.normal(0.0, 0.01, n - 1)
    asset_returns = slope * benchmark_returns + rng.normal(0.0, 0.008, n - 1)
    days = [START + timedelta(days=i) for i in range(n)]
    benchmark = 500.0 * np.exp(np.concatenate([[0.0], np.cumsum(benchmark_returns)]))
    asset = 80.0 * np.exp(np.concatenate([[0.0], np.cumsum(asset_returns)]))
    return dict(zip(days, asset.tolist(), strict=True)), dict(zip(days, benchmark.tolist(), strict=True))


def _numpy_beta(asset: dict[date, float], benchmark: dict[date, float], dates: list[date]) -> float:
    a = np.diff(np.log([asset[d] for d in dates]))
    b = np.diff(np.log([benchmark[d] for d in dates]))
    return float(np.cov(a, b)[0, 1] / np.var(b, ddof=1))


def test_beta_is_numpys_covariance_over_variance_of_the_last_61_sessions() -> None:
    asset, benchmark = _series(90)
    last_61 = sorted(asset)[-61:]
    assert beta(asset, benchmark) == pytest.approx(_numpy_beta(asset, benchmark, last_61), rel=1e-12)


def test_a_session_missing_from_one_series_drops_that_date_from_both() -> None:
    asset, benchmark = _series(70)
    gap_in_asset, gap_in_benchmark = sorted(asset)[40], sorted(asset)[55]
    del asset[gap_in_asset]
    del benchmark[gap_in_benchmark]
    aligned = [d for d in sorted(benchmark) if d in asset][-61:]
    assert gap_in_asset not in aligned and gap_in_benchmark not in aligned
    assert beta(asset, benchmark) == pytest.approx(_numpy_beta(asset, benchmark, aligned), rel=1e-12)


def test_fewer_than_61_aligned_sessions_leave_beta_unknown() -> None:
    asset, benchmark = _series(61)
    del benchmark[sorted(benchmark)[30]]
    assert beta(asset, benchmark) is None
    assert beta_of(asset, benchmark) == Beta(beta=None, price_ratio=None)


def test_a_benchmark_that_never_moves_has_no_beta() -> None:
    asset, benchmark = _series(61)
    assert beta(asset, dict.fromkeys(benchmark, 500.0)) is None


def test_the_benchmark_against_itself_is_one_and_the_ratio_is_of_the_last_session() -> None:
    asset, benchmark = _series(61)
    assert beta(benchmark, benchmark) == pytest.approx(1.0)
    last = max(asset)
    assert beta_of(asset, benchmark).price_ratio == asset[last] / benchmark[last]


def _greeks(delta: float | None, gamma: float | None = 0.0, theta=0.0, vega=0.0) -> TradeGreeks:
    return {"delta": delta, "gamma": gamma, "theta": theta, "vega": vega}


def test_beta_weighted_delta_is_the_hand_computed_sum_in_benchmark_shares() -> None:
    exposures = [
        Exposure(trade=1, underlying="AAPL", greeks=_greeks(100.0), max_loss=None),
        Exposure(trade=2, underlying="AAPL", greeks=_greeks(-35.5), max_loss=1000.0),
        Exposure(trade=3, underlying="TSLA", greeks=_greeks(20.0), max_loss=500.0),
        Exposure(trade=4, underlying="SPY", greeks=_greeks(-10.0), max_loss=None),
        Exposure(trade=5, underlying="NEW", greeks=_greeks(50.0), max_loss=200.0),  # no β yet
        Exposure(trade=6, underlying="TSLA", greeks=_greeks(None), max_loss=300.0),  # no quote
    ]
    betas = {
        "AAPL": Beta(beta=1.2, price_ratio=280.0 / 680.0),
        "TSLA": Beta(beta=2.0, price_ratio=350.0 / 680.0),
        "SPY": BENCHMARK_BETA,
        "NEW": Beta(beta=None, price_ratio=None),
    }

    weighted, left_out = beta_weighted_delta(exposures, betas)

    by_hand = (100.0 - 35.5) * 1.2 * 280.0 / 680.0 + 20.0 * 2.0 * 350.0 / 680.0 - 10.0
    assert weighted == pytest.approx(by_hand, rel=1e-12)
    assert left_out == [5, 6]


def test_capital_at_risk_sums_finite_max_losses_and_lists_the_unlimited_ones() -> None:
    exposures = [
        Exposure(trade=3, underlying="AAPL", greeks=_greeks(100.0), max_loss=25_000.0),
        Exposure(trade=1, underlying="AAPL", greeks=_greeks(-30.0), max_loss=None),  # a naked call
        Exposure(trade=2, underlying="MSFT", greeks=_greeks(12.5), max_loss=412.35),
        Exposure(trade=4, underlying="MSFT", greeks=_greeks(0.0), max_loss=-50.0),  # cannot lose
        Exposure(trade=5, underlying="TSLA", greeks=_greeks(-4.0), max_loss=None),
    ]

    totals = risk_totals(exposures)

    assert totals["capital_at_risk"] == pytest.approx(25_412.35)
    assert totals["unlimited_risk_trades"] == [1, 5]


def test_greek_totals_leave_out_only_the_unknown_greeks_and_list_their_trades() -> None:
    exposures = [
        Exposure(trade=1, underlying="AAPL", greeks=_greeks(100.0, 0.0, 0.0, 0.0), max_loss=1.0),
        Exposure(trade=2, underlying="AAPL", greeks=_greeks(-40.0, -2.5, 12.0, -30.0), max_loss=1.0),
        Exposure(trade=3, underlying="MSFT", greeks=_greeks(None, None, None, None), max_loss=1.0),
        Exposure(trade=4, underlying="MSFT", greeks=_greeks(25.0, None, -3.0, 8.0), max_loss=1.0),
    ]

    totals = risk_totals(exposures)

    assert (totals["delta"], totals["gamma"], totals["theta"], totals["vega"]) == (85.0, -2.5, 9.0, -22.0)
    assert totals["greeks_unknown_trades"] == [3, 4]


def test_no_open_trade_is_no_risk() -> None:
    assert risk_totals([]) == {
        "delta": 0.0,
        "gamma": 0.0,
        "theta": 0.0,
        "vega": 0.0,
        "greeks_unknown_trades": [],
        "capital_at_risk": 0.0,
        "unlimited_risk_trades": [],
    }
    assert beta_weighted_delta([], {}) == (0.0, [])
