"""Trade figures: premium, cost basis, max profit/loss and breakevens by hand; P&L, greeks; POP integrated."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from marketdata.american import american_greeks
from marketdata.pricing import black_scholes
from marketdata.trade_figures import FigureLeg, TradeFigures, pop_volatility, trade_figures

TODAY = date(2026, 11, 24)
NEAR = date(2026, 12, 24)  # 30 days
FAR = date(2027, 12, 17)
RATE = 0.04
SPOT = 280.0
NEAR_YEARS = 30 / 365
FAR_YEARS_AT_NEAR = (FAR - NEAR).days / 365  # what a far leg has left at the near expiration


def put(quantity: int, strike: float, premium: float, **fields) -> FigureLeg:
    fields.setdefault("expiration", NEAR)
    return FigureLeg("put", quantity, 100, premium, strike=strike, **fields)


def call(quantity: int, strike: float, premium: float, **fields) -> FigureLeg:
    fields.setdefault("expiration", NEAR)
    return FigureLeg("call", quantity, 100, premium, strike=strike, **fields)


def shares(quantity: int, price: float, **fields) -> FigureLeg:
    return FigureLeg("stock", quantity, 1, price, **fields)


def figures(*legs: FigureLeg, spot: float | None = SPOT, today: date = TODAY) -> TradeFigures:
    return trade_figures(legs, spot=spot, today=today, rate=RATE)


# --- Max profit, max loss, breakevens: the standard strategies by hand -------------------------


def test_a_cash_secured_put_risks_the_strike_less_the_premium() -> None:
    result = figures(put(-1, 270.0, 4.10))

    # Profit: the premium kept, 4.10 × 100 = 410. Loss: assigned at 270 with S → 0,
    # (270 − 4.10) × 100 = 26,590. Breakeven: 270 − 4.10 = 265.90.
    assert result["max_profit"] == pytest.approx(410.0)
    assert result["max_loss"] == pytest.approx(26_590.0)
    assert result["breakevens"] == [265.90]
    assert result["net_premium"] == pytest.approx(410.0)


def test_a_covered_call_caps_the_gain_at_the_strike() -> None:
    result = figures(shares(100, 281.50), call(-1, 300.0, 4.10))

    # Profit, called away at 300: (300 − 281.50 + 4.10) × 100 = 2,260.
    # Loss at S → 0: (281.50 − 4.10) × 100 = 27,740. Breakeven: 281.50 − 4.10 = 277.40.
    assert result["max_profit"] == pytest.approx(2_260.0)
    assert result["max_loss"] == pytest.approx(27_740.0)
    assert result["breakevens"] == [277.40]
    # Cost basis: (281.50 × 100 − 410) / 100 = 277.40, the breakeven.
    assert result["cost_basis_per_share"] == pytest.approx(277.40)


def test_a_bull_put_vertical_risks_the_width_less_the_credit() -> None:
    result = figures(put(-1, 270.0, 4.10), put(1, 260.0, 1.60))

    # Credit 4.10 − 1.60 = 2.50 → profit 250; loss (270 − 260 − 2.50) × 100 = 750;
    # breakeven 270 − 2.50 = 267.50.
    assert result["max_profit"] == pytest.approx(250.0)
    assert result["max_loss"] == pytest.approx(750.0)
    assert result["breakevens"] == [267.50]


def test_an_iron_condor_has_two_breakevens_in_order() -> None:
    result = figures(put(-1, 260.0, 3.00), put(1, 250.0, 1.20), call(-1, 300.0, 2.50), call(1, 310.0, 0.90))

    # Credit 3.00 − 1.20 + 2.50 − 0.90 = 3.40: breakevens 260 − 3.40 and 300 + 3.40; the
    # loss on either side (10 − 3.40) × 100 = 660.
    assert result["breakevens"] == [256.60, 303.40]
    assert result["max_profit"] == pytest.approx(340.0)
    assert result["max_loss"] == pytest.approx(660.0)


def test_a_butterfly_peaks_exactly_at_its_middle_strike() -> None:
    # 262.50 / 272.50 / 282.50 calls, 1 / −2 / 1, for a debit of 6.00 − 2 × 2.50 + 2.00 = 3.00:
    # profit (10 − 3) × 100 = 700 only at 272.50 (between the grid's even steps), loss 300;
    # breakevens 262.50 + 3 = 265.50 and 282.50 − 3 = 279.50.
    result = figures(call(1, 262.50, 6.00), call(-2, 272.50, 2.50), call(1, 282.50, 2.00))

    assert result["max_profit"] == pytest.approx(700.0)
    assert result["max_loss"] == pytest.approx(300.0)
    assert result["breakevens"] == [265.50, 279.50]


def test_fees_reduce_the_net_premium_and_the_max_profit() -> None:
    result = figures(put(-1, 270.0, 4.10, fees=1.00))

    # 410 − 1 = 409 kept; loss 26,590 + 1; breakeven moves up a cent per $1 on 100 shares.
    assert result["net_premium"] == pytest.approx(409.0)
    assert result["max_profit"] == pytest.approx(409.0)
    assert result["max_loss"] == pytest.approx(26_591.0)
    assert result["breakevens"] == [265.91]


# --- Unlimited ------------------------------------------------------------------------------


def test_a_naked_short_call_has_unlimited_loss() -> None:
    result = figures(call(-1, 300.0, 4.10))

    assert result["max_loss"] is None
    assert result["max_profit"] == pytest.approx(410.0)
    assert result["breakevens"] == [304.10]


def test_long_shares_have_unlimited_profit_and_risk_their_cost() -> None:
    result = figures(shares(100, 281.50, fees=1.00))

    # No option leg, no expiration: the shares' P&L. Loss at 0: 281.50 × 100 + 1 = 28,151.
    assert result["max_profit"] is None
    assert result["max_loss"] == pytest.approx(28_151.0)
    assert result["breakevens"] == [281.51]
    assert result["pct_of_max_profit"] is None
    assert result["pop"] is None


def test_a_long_call_risks_its_premium_for_unlimited_profit() -> None:
    result = figures(call(1, 300.0, 4.10))

    assert result["max_profit"] is None
    assert result["max_loss"] == pytest.approx(410.0)
    assert result["breakevens"] == [304.10]


def test_a_breakeven_beyond_the_grid_is_found() -> None:
    # The grid ends at 3 × 10 (no spot): the breakeven 10 + 30 = 40 lies beyond it.
    result = figures(call(1, 10.0, 30.0), spot=None)

    assert result["breakevens"] == [40.0]
    assert result["max_loss"] == pytest.approx(3_000.0)


# --- Legs outliving the nearest expiration: the American model at their IV ------------------


def brute_force_curve(pnl, top: float) -> tuple[np.ndarray, np.ndarray]:
    """The P&L at every cent from 0 to `top` (S = 0 as the limit at a tenth of a cent)."""
    prices = np.arange(0, round(top * 100) + 1) / 100.0
    values = np.array([pnl(max(price, 0.001)) for price in prices])
    return prices, values


def brute_force_breakevens(prices: np.ndarray, values: np.ndarray) -> list[float]:
    """Sign changes between cents, placed by linear interpolation, rounded to the cent."""
    found = []
    for i in np.nonzero((values[:-1] > 0) != (values[1:] > 0))[0]:
        x0, x1, y0, y1 = prices[i], prices[i + 1], values[i], values[i + 1]
        found.append(round(float(x0 - y0 * (x1 - x0) / (y1 - y0)), 2))
    return found


def far_value(kind: str, price: float, strike: float, iv: float) -> float:
    return black_scholes(
        spot=price, strike=strike, years=FAR_YEARS_AT_NEAR, rate=RATE, volatility=iv, contract_type=kind
    ).price


def test_a_pmcc_values_its_long_call_by_black_scholes_at_the_short_expiration() -> None:
    result = figures(call(1, 200.0, 90.0, expiration=FAR, iv=0.30), call(-1, 300.0, 4.10, iv=0.25))

    def pnl(price: float) -> float:
        return 100 * (far_value("call", price, 200.0, 0.30) - 90.0) - 100 * (max(price - 300.0, 0) - 4.10)

    prices, values = brute_force_curve(pnl, 900.0)
    assert result["max_loss"] == pytest.approx(-values.min(), abs=0.005)  # the net debit, 8,590
    assert result["max_loss"] == pytest.approx((90.0 - 4.10) * 100, abs=0.005)
    assert result["max_profit"] == pytest.approx(values.max(), abs=0.005)  # at the short strike
    assert result["breakevens"] == brute_force_breakevens(prices, values)


def american_put_at_near(price: float, strike: float, iv: float) -> float:
    return american_greeks(
        spot=price, strike=strike, years=FAR_YEARS_AT_NEAR, rate=RATE, volatility=iv, contract_type="put"
    ).price


def golden_section_min(function, low: float, high: float, *, tolerance: float = 1e-6) -> float:
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    while high - low > tolerance:
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        low, high = (low, right) if function(left) < function(right) else (left, high)
    return function((low + high) / 2.0)


def sign_change(function, low: float, high: float) -> float:
    """Where `function` changes sign in [low, high], by bisection, rounded to the cent."""
    positive_low = function(low) > 0
    while high - low > 1e-6:
        middle = (low + high) / 2.0
        low, high = (middle, high) if (function(middle) > 0) == positive_low else (low, middle)
    return round((low + high) / 2.0, 2)


def test_a_smooth_minimum_between_grid_points_is_found_to_the_cent() -> None:
    # A far straddle at 280 against a near call at 360: at the near expiration the loss is
    # deepest where the straddle is cheapest, around 261, between strikes and grid points.
    # The far put is valued as American (r > 0: worth exercising deep in the money), which adds
    # early exercise's premium: with Black-Scholes this trade's max loss was 310.39, its
    # breakevens 233.48 and 282.49, its max profit 20,322.75 (at S = 0, the put at K·e^(−rT)).
    # `american_greeks` at every cent would take seconds, so the reference is searched on it
    # directly; the curve agrees with it to within $0.0005 a share here ($0.05 on the trade).
    legs = (
        call(1, 280.0, 40.0, expiration=FAR, iv=0.30),
        put(1, 280.0, 27.0, expiration=FAR, iv=0.30),
        call(-1, 360.0, 1.00, iv=0.30),
    )
    result = figures(*legs)

    def pnl(price: float) -> float:
        straddle = far_value("call", price, 280.0, 0.30) + american_put_at_near(price, 280.0, 0.30)
        return 100 * (straddle - 67.0) - 100 * (max(price - 360.0, 0) - 1.00)

    assert result["max_loss"] == pytest.approx(-golden_section_min(pnl, 250.0, 270.0), abs=0.05)
    assert result["max_loss"] == pytest.approx(146.19, abs=0.05)
    assert result["breakevens"] == [sign_change(pnl, 230.0, 261.0), sign_change(pnl, 261.0, 300.0)]
    assert result["breakevens"] == [244.65, 277.37]
    # At S = 0 the put is exercised for its strike: 100 × (280 − 67) + 100 = 21,400.
    assert result["max_profit"] == pytest.approx(21_400.0)


def test_a_leg_outliving_the_expiration_without_an_iv_is_worth_its_intrinsic_value() -> None:
    result = figures(call(1, 200.0, 90.0, expiration=FAR), call(-1, 300.0, 4.10))

    # 100 × (S − 200 − 90) + 410 = 0 → S = 285.90; at 300: 100 × 10 + 410 = 1,410.
    assert result["breakevens"] == [285.90]
    assert result["max_profit"] == pytest.approx(1_410.0)


# --- A wheel's history: premium, cost basis, realised P&L --------------------------------------

PUT_ROLLED = put(-1, 270.0, 4.10, exit_price=2.00, fees=0.65)  # sold, bought back to roll
PUT_ASSIGNED = put(-1, 265.0, 3.50, exit_price=0.0, fees=0.65)  # assigned: closes at 0
ASSIGNED_SHARES = shares(100, 265.0)  # at the strike
CALL_SOLD = call(-1, 280.0, 2.80, fees=0.65)


def test_a_wheel_lowers_its_cost_basis_by_every_premium_collected() -> None:
    result = figures(PUT_ROLLED, PUT_ASSIGNED, ASSIGNED_SHARES, CALL_SOLD)

    # Net premium: (4.10 − 2.00) × 100 + 3.50 × 100 + 2.80 × 100 − 3 × 0.65 = 838.05.
    # Cost basis: (265 × 100 − 838.05) / 100 = 256.6195.
    assert result["net_premium"] == pytest.approx(838.05)
    assert result["cost_basis_per_share"] == pytest.approx(256.6195)


def test_a_wheel_realises_its_closed_legs_net_of_their_fees() -> None:
    result = figures(PUT_ROLLED, PUT_ASSIGNED, ASSIGNED_SHARES, CALL_SOLD)

    # (4.10 − 2.00) × 100 − 0.65 + 3.50 × 100 − 0.65 = 558.70; the open call is not realised.
    assert result["realised_pnl"] == pytest.approx(558.70)


def test_a_wheel_called_away_is_settled() -> None:
    called = call(-1, 280.0, 2.80, fees=0.65, exit_price=0.0)
    result = figures(PUT_ROLLED, PUT_ASSIGNED, shares(100, 265.0, exit_price=280.0), called)

    # 558.70 + 2.80 × 100 − 0.65 + (280 − 265) × 100 = 2,338.05; no shares, nothing open.
    assert result["realised_pnl"] == pytest.approx(2_338.05)
    assert result["cost_basis_per_share"] is None
    assert (result["max_profit"], result["max_loss"], result["breakevens"], result["pop"]) == (
        None,
        None,
        [],
        None,
    )


def test_closed_legs_count_in_the_outcome_at_expiration() -> None:
    # The rolled put's 2.10 × 100 − 0.65 = 209.35 is banked: the open CSP's max profit
    # 350 − 0.65 + 209.35 = 558.70, its breakeven 265 − 5.587 = 259.413 → 259.41.
    result = figures(PUT_ROLLED, put(-1, 265.0, 3.50, fees=0.65))

    assert result["max_profit"] == pytest.approx(558.70)
    assert result["breakevens"] == [259.41]


# --- Unrealised P&L and progress ---------------------------------------------------------------


def test_half_the_premium_bought_back_is_half_the_max_profit() -> None:
    result = figures(put(-1, 270.0, 4.10, mark=2.05))

    # (2.05 − 4.10) × −100 = 205 = 50 % of 410.
    assert result["unrealised_pnl"] == pytest.approx(205.0)
    assert result["pct_of_max_profit"] == pytest.approx(50.0)


def test_shares_without_a_mark_are_at_spot() -> None:
    result = figures(shares(100, 281.50), call(-1, 300.0, 4.10, mark=6.00), spot=290.0)

    # (290 − 281.50) × 100 + (6.00 − 4.10) × −100 = 850 − 190 = 660.
    assert result["unrealised_pnl"] == pytest.approx(660.0)


def test_an_open_option_without_a_mark_leaves_the_unrealised_pnl_unknown() -> None:
    result = figures(put(-1, 270.0, 4.10, mark=2.05), put(1, 260.0, 1.60))

    assert result["unrealised_pnl"] is None
    assert result["pct_of_max_profit"] is None


# --- Greeks -----------------------------------------------------------------------------------


def test_greeks_sum_the_open_legs_by_size() -> None:
    short_call = call(-1, 300.0, 4.10, delta=0.35, gamma=0.01, theta=-0.05, vega=0.20)
    closed_put = put(-1, 270.0, 4.10, exit_price=1.0, delta=-0.5, gamma=0.02, theta=-0.1, vega=0.3)
    result = figures(shares(100, 281.50), short_call, closed_put)

    # 100 shares − 0.35 × 100; the call's greeks × −100; the closed put counts for nothing.
    assert result["greeks"] == pytest.approx({"delta": 65.0, "gamma": -1.0, "theta": 5.0, "vega": -20.0})


def test_a_greek_an_open_option_lacks_is_unknown_for_the_trade() -> None:
    result = figures(shares(100, 281.50), call(-1, 300.0, 4.10, delta=0.35))

    assert result["greeks"]["delta"] == pytest.approx(65.0)
    assert result["greeks"]["gamma"] is None


# --- Probability of profit ----------------------------------------------------------------------


def integrated_pop(regions: list[tuple[float, float]], *, volatility: float) -> float:
    """Percent: the lognormal density of S_T integrated over `regions` by the trapezoid rule."""
    mu = math.log(SPOT) + (RATE - volatility**2 / 2) * NEAR_YEARS
    scale = volatility * math.sqrt(NEAR_YEARS)
    total = 0.0
    for low, high in regions:
        s = np.linspace(low, high, 400_001)
        density = np.exp(-((np.log(s) - mu) ** 2) / (2 * scale**2)) / (s * scale * math.sqrt(2 * math.pi))
        total += float(np.trapezoid(density, s))
    return 100 * total


def test_pop_of_an_iron_condor_is_the_density_between_its_breakevens() -> None:
    # σ is the shorts' IV (0.25), not the wings' (0.40). P&L > 0 between 256.60 and 303.40.
    result = figures(
        put(-1, 260.0, 3.00, iv=0.25),
        put(1, 250.0, 1.20, iv=0.40),
        call(-1, 300.0, 2.50, iv=0.25),
        call(1, 310.0, 0.90, iv=0.40),
    )

    assert result["pop"] == pytest.approx(integrated_pop([(256.60, 303.40)], volatility=0.25), abs=1e-6)


def test_pop_of_a_long_call_uses_its_own_iv() -> None:
    # No short leg: σ is the leg's, 0.22. P&L > 0 above 290 + 3 = 293; the density beyond
    # 3,000 (some 30 σ out) is nothing.
    result = figures(call(1, 290.0, 3.00, iv=0.22))

    assert result["pop"] == pytest.approx(integrated_pop([(293.0, 3_000.0)], volatility=0.22), abs=1e-6)


def test_pop_takes_its_sigma_from_the_legs_at_the_nearest_expiration() -> None:
    near_long, far_short = call(1, 290.0, 3.00, iv=0.22), call(-1, 320.0, 9.00, expiration=FAR, iv=0.50)
    two_shorts = (put(-1, 260.0, 3.00, iv=0.24), call(-1, 300.0, 2.50, iv=0.26), put(1, 250.0, 1.0, iv=0.4))

    # The far short says less about the move until the near expiration; two shorts there average.
    assert pop_volatility((near_long, far_short), NEAR) == pytest.approx(0.22)
    assert pop_volatility(two_shorts, NEAR) == pytest.approx(0.25)


def test_pop_is_unknown_without_spot_or_an_iv_at_the_expiration() -> None:
    assert figures(put(-1, 270.0, 4.10, iv=0.25), spot=None)["pop"] is None
    assert figures(put(-1, 270.0, 4.10), call(1, 300.0, 2.0, expiration=FAR, iv=0.3))["pop"] is None


def test_pop_on_expiration_day_is_whether_spot_is_in_profit() -> None:
    assert figures(put(-1, 270.0, 4.10, iv=0.25), spot=268.0, today=NEAR)["pop"] == 100.0
    assert figures(put(-1, 270.0, 4.10, iv=0.25), spot=265.0, today=NEAR)["pop"] == 0.0


# --- Inputs -----------------------------------------------------------------------------------


def test_an_option_leg_needs_a_strike_and_an_expiration() -> None:
    with pytest.raises(ValueError, match="strike and an expiration"):
        FigureLeg("call", 1, 100, 1.0, expiration=NEAR)
