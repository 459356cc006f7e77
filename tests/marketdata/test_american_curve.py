"""The American curve: `american_greeks` at every price from one lattice, and trades valued by it."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from marketdata.american import _ex_dividends, _grid, _lattice, _Terms, american_greeks
from marketdata.american_curve import american_curve
from marketdata.pricing import black_scholes
from marketdata.trade_figures import FigureLeg, trade_figures

RATE = 0.04
STRIKE = 100.0
QUARTERLY = [(0.1, 0.6), (0.35, 0.6), (0.6, 0.6), (0.85, 0.6)]  # (years, cash): 0.6 % of the strike


def curve_and_greeks(kind, years, volatility, dividends):
    terms = {"strike": STRIKE, "years": years, "rate": RATE, "volatility": volatility}
    curve = american_curve(contract_type=kind, dividends=dividends, **terms)

    def greeks(price: float) -> float:
        return american_greeks(spot=price, contract_type=kind, dividends=dividends, **terms).price

    return curve, greeks


def within_tolerance(value: float, reference: float) -> bool:
    """$0.005 a share, or 0.1 % of the value where that is more."""
    return abs(value - reference) <= max(0.005, 1e-3 * abs(reference))


CASES = [
    (kind, years, volatility, dividends)
    for kind in ("call", "put")
    for years, volatility, dividends in (
        (30 / 365, 0.25, [(10 / 365, 0.6)]),
        (91 / 365, 0.45, [(40 / 365, 0.6)]),
        (1.0, 0.30, QUARTERLY),
        (1.0, 0.60, QUARTERLY),
        (91 / 365, 0.30, []),
        (1.0, 0.30, []),
    )
    if kind == "put" or dividends  # a call without dividends is Black-Scholes (tested below)
]


@pytest.mark.parametrize(("kind", "years", "volatility", "dividends"), CASES)
def test_the_curve_agrees_with_american_greeks_between_and_beyond_its_nodes(
    kind, years, volatility, dividends
) -> None:
    curve, greeks = curve_and_greeks(kind, years, volatility, dividends)
    prices = np.linspace(20.0, 300.0, 71)  # a payoff grid's reach: to 3x the strike

    misses = [(p, curve(p), greeks(p)) for p in prices if not within_tolerance(curve(p), greeks(p))]
    assert misses == []


@pytest.mark.parametrize(("kind", "years", "volatility", "dividends"), CASES[:3])
def test_at_its_nodes_the_curve_is_american_greeks_exactly(kind, years, volatility, dividends) -> None:
    curve, greeks = curve_and_greeks(kind, years, volatility, dividends)
    nodes = [math.exp(curve.first + j * curve.dx) for j in range(0, len(curve.values), 7)]
    inside = [p for p in nodes if 50.0 < p < 200.0]

    assert inside
    assert [curve(p) for p in inside] == pytest.approx([greeks(p) for p in inside], rel=1e-9, abs=1e-9)


def test_a_call_without_dividends_is_black_scholes() -> None:
    curve = american_curve(strike=STRIKE, years=0.5, rate=RATE, volatility=0.3, contract_type="call")

    for price in (1.0, 60.0, 99.5, 100.0, 140.0, 300.0):
        european = black_scholes(
            spot=price, strike=STRIKE, years=0.5, rate=RATE, volatility=0.3, contract_type="call"
        )
        assert curve(price) == european.price
    assert curve(0.0) == 0.0


def test_where_the_lattice_sawtooths_the_curve_is_no_further_from_a_finer_lattice() -> None:
    # A two-year put at 15 % vol: `american_greeks` moves up and down by some $0.02 as the spot
    # slides between its nodes, so the curve, smooth through them, can differ from it by that
    # much. Against the same lattice at 1,000 steps, the curve is the closer of the two.
    curve, greeks = curve_and_greeks("put", 2.0, 0.15, [])
    fine = _grid(2.0, RATE, _ex_dividends([], 2.0), 1000)
    prices = np.linspace(88.0, 104.0, 33)
    reference = [
        _lattice(_Terms(spot=p, strike=STRIKE, rate=RATE, call=False), 0.15, fine).values[1] for p in prices
    ]

    curve_error = max(abs(curve(p) - r) for p, r in zip(prices, reference, strict=True))
    greeks_error = max(abs(greeks(p) - r) for p, r in zip(prices, reference, strict=True))
    assert curve_error < greeks_error
    assert curve_error < 0.015


def test_a_put_is_worth_its_strike_when_the_stock_is_worth_nothing() -> None:
    # Exercised at once: the strike now beats the strike later (r > 0), dividends or not.
    for dividends in ([], QUARTERLY):
        curve, _ = curve_and_greeks("put", 1.0, 0.3, dividends)
        assert curve(0.0) == STRIKE
        assert curve(1e-6) == pytest.approx(STRIKE, abs=1e-5)


def test_beyond_its_nodes_the_curve_meets_the_certain_paths_value() -> None:
    curve, greeks = curve_and_greeks("call", 1.0, 0.3, QUARTERLY)
    top = math.exp(curve.first + (len(curve.values) - 1) * curve.dx)
    deep = 1.5 * top

    # Deep in the money the call is exercised just before the last ex-date: the 0.60 it would
    # forgo is worth more than the interest on the strike for the last 0.15 of a year.
    paid = sum(cash * math.exp(-RATE * when) for when, cash in QUARTERLY[:3])
    assert curve(deep) == pytest.approx(deep - paid - STRIKE * math.exp(-RATE * 0.85), abs=1e-9)
    assert curve(deep) == pytest.approx(greeks(deep), abs=1e-4)
    assert curve(top * (1 - 1e-12)) == pytest.approx(curve.certain_value(top), abs=1e-3)  # no step there


@pytest.mark.parametrize(("kind", "years", "volatility", "dividends"), CASES)
def test_the_curve_never_turns_back_and_never_falls_below_intrinsic(
    kind, years, volatility, dividends
) -> None:
    curve, _ = curve_and_greeks(kind, years, volatility, dividends)
    prices = np.linspace(0.0, 300.0, 6001)
    values = np.array([curve(p) for p in prices])
    intrinsic = np.maximum(prices - STRIKE if kind == "call" else STRIKE - prices, 0.0)

    steps = np.diff(values)
    assert (steps >= -1e-12).all() if kind == "call" else (steps <= 1e-12).all()
    assert (values >= intrinsic - 1e-12).all()


# --- Trades valued by it ------------------------------------------------------------------------

TODAY = date(2026, 11, 24)
NEAR = date(2026, 12, 24)
FAR = date(2027, 12, 17)
SPOT = 280.0
EX_DATES = [date(2027, 2, 10), date(2027, 5, 10), date(2027, 8, 10), date(2027, 11, 10)]
SCHEDULE = [(ex, 0.70) for ex in EX_DATES]  # quarterly, after the horizon and before FAR


def far_value(kind: str, price: float, strike: float, iv: float, dividends) -> float:
    years = (FAR - NEAR).days / 365
    ahead = [((ex - NEAR).days / 365, cash) for ex, cash in dividends]
    return american_greeks(
        spot=price, strike=strike, years=years, rate=RATE, volatility=iv, contract_type=kind, dividends=ahead
    ).price


def sign_change(function, low: float, high: float) -> float:
    """Where `function` changes sign in [low, high], by bisection, rounded to the cent."""
    positive_low = function(low) > 0
    while high - low > 1e-6:
        middle = (low + high) / 2.0
        low, high = (middle, high) if (function(middle) > 0) == positive_low else (low, middle)
    return round((low + high) / 2.0, 2)


@pytest.mark.parametrize("dividends", [[], SCHEDULE], ids=["no dividends", "quarterly dividends"])
def test_a_put_calendar_is_valued_by_the_american_put_at_the_near_expiration(dividends) -> None:
    # Short the near 270 put for 4.10, long the far one for 17.50: a 13.40 debit.
    legs = [
        FigureLeg("put", -1, 100, 4.10, strike=270.0, expiration=NEAR, iv=0.28),
        FigureLeg("put", 1, 100, 17.50, strike=270.0, expiration=FAR, iv=0.30),
    ]
    result = trade_figures(legs, spot=SPOT, today=TODAY, rate=RATE, dividends=dividends)

    def pnl(price: float) -> float:
        return 100 * (far_value("put", price, 270.0, 0.30, dividends) - max(270.0 - price, 0) - 13.40)

    # Best at the strike; the worst is the debit, the stock collapsing (the far put exercised
    # for its strike, as Black-Scholes would not: it lost 270 × (1 − e^(−0.04 × 358/365)) more)
    # or soaring.
    assert result["max_profit"] == pytest.approx(pnl(270.0), abs=0.5)
    assert result["max_loss"] == pytest.approx(1_340.0, abs=1e-6)
    # The P&L rises some $40 per dollar of the stock there: the curve's $0.01 a share or less
    # from `american_greeks` moves a breakeven by 2 cents at most.
    expected = [sign_change(pnl, 200.0, 270.0), sign_change(pnl, 270.0, 400.0)]
    assert result["breakevens"] == pytest.approx(expected, abs=0.021)


def test_dividends_ahead_of_a_far_call_lower_a_pmcc_as_the_american_call_says() -> None:
    legs = [
        FigureLeg("call", 1, 100, 90.0, strike=200.0, expiration=FAR, iv=0.30),
        FigureLeg("call", -1, 100, 4.10, strike=300.0, expiration=NEAR, iv=0.25),
    ]
    plain = trade_figures(legs, spot=SPOT, today=TODAY, rate=RATE)
    paying = trade_figures(legs, spot=SPOT, today=TODAY, rate=RATE, dividends=SCHEDULE)

    def pnl(price: float) -> float:
        far = far_value("call", price, 200.0, 0.30, SCHEDULE)
        return 100 * (far - 90.0) - 100 * (max(price - 300.0, 0) - 4.10)

    # Best at the short strike; the dividends the far call forgoes cost it some $2.50 there.
    assert paying["max_profit"] == pytest.approx(pnl(300.0), abs=0.5)
    assert plain["max_profit"] - paying["max_profit"] > 200.0
    assert paying["breakevens"] == pytest.approx([sign_change(pnl, 250.0, 300.0)], abs=0.021)


def test_dividends_outside_the_far_legs_remaining_life_change_nothing() -> None:
    legs = [
        FigureLeg("put", -1, 100, 4.10, strike=270.0, expiration=NEAR, iv=0.28),
        FigureLeg("put", 1, 100, 17.50, strike=270.0, expiration=FAR, iv=0.30),
    ]
    before_the_horizon = [(NEAR - timedelta(days=3), 5.0), (NEAR, 5.0)]  # gone ex by the horizon
    after_the_far_expiration = [(FAR, 5.0), (FAR + timedelta(days=30), 5.0)]

    plain = trade_figures(legs, spot=SPOT, today=TODAY, rate=RATE)
    outside = trade_figures(
        legs, spot=SPOT, today=TODAY, rate=RATE, dividends=before_the_horizon + after_the_far_expiration
    )
    assert outside == plain
