"""The payoff diagram's curves: the figures' own horizon P&L, today's model P&L, and the range drawn."""

from __future__ import annotations

import math
from datetime import date
from itertools import pairwise

import pytest

from marketdata.payoff_chart import PayoffChart, payoff_chart
from marketdata.trade_payoff import FigureLeg, horizon_pnl
from tests.marketdata.test_trade_figures import FAR, NEAR, RATE, SPOT, TODAY, call, figures, put, shares


def chart(*legs: FigureLeg, spot: float | None = SPOT, today: date = TODAY) -> PayoffChart:
    found = payoff_chart(legs, spot=spot, today=today, rate=RATE)
    assert found is not None
    return found


def zero_crossings(curve: list[dict[str, float]]) -> list[float]:
    """Where the drawn curve turns positive or stops being so, linearly between its points."""
    crossings = []
    for left, right in pairwise(curve):
        if (left["pnl"] > 0) != (right["pnl"] > 0):
            share = left["pnl"] / (left["pnl"] - right["pnl"])
            crossings.append(left["price"] + share * (right["price"] - left["price"]))
    return crossings


def test_a_vertical_crosses_zero_at_its_breakeven_and_peaks_at_its_max_profit() -> None:
    legs = (put(-1, 270, 6.0, iv=0.3), put(1, 260, 2.5, iv=0.32))
    found, drawn = figures(*legs), chart(*legs)

    assert zero_crossings(drawn["at_horizon"]) == pytest.approx(found["breakevens"], abs=0.01)
    assert max(p["pnl"] for p in drawn["at_horizon"]) == pytest.approx(found["max_profit"])
    assert min(p["pnl"] for p in drawn["at_horizon"]) == pytest.approx(-found["max_loss"])
    assert drawn["price_from"] < 260 < 270 < drawn["price_to"]
    prices = [p["price"] for p in drawn["at_horizon"]]
    assert prices == sorted(set(prices)) and {260, 270, SPOT} <= set(prices)


def test_a_pmcc_peaks_where_the_figures_say_between_grid_steps() -> None:
    legs = (call(1, 240, 55.0, expiration=FAR, iv=0.28), call(-1, 290, 4.0, expiration=NEAR, iv=0.25))
    found, drawn = figures(*legs), chart(*legs)

    peak = max(drawn["at_horizon"], key=lambda p: p["pnl"])
    assert peak["pnl"] == pytest.approx(found["max_profit"], abs=1e-6)
    assert peak["price"] == pytest.approx(drawn["max_profit_at"])
    assert zero_crossings(drawn["at_horizon"]) == pytest.approx(found["breakevens"], abs=0.01)


def test_today_values_every_open_leg_by_the_model_with_its_time_left() -> None:
    legs = (put(-1, 270, 6.0, iv=0.3),)
    drawn = chart(*legs)
    today_pnl = horizon_pnl(legs, rate=RATE, on=TODAY)
    assert today_pnl is not None

    for point in drawn["at_today"][::40]:
        assert point["pnl"] == pytest.approx(today_pnl(point["price"]))
    at_strike = next(p for p in drawn["at_today"] if p["price"] == 270)
    expiry_at_strike = next(p for p in drawn["at_horizon"] if p["price"] == 270)
    assert at_strike["pnl"] < expiry_at_strike["pnl"]  # time value left: the short put is worth more today


def test_shares_alone_have_no_horizon_curve_only_todays_line() -> None:
    drawn = chart(shares(100, 250.0))

    assert drawn["horizon"] is None and drawn["at_horizon"] == []
    assert drawn["at_today"][0]["pnl"] < 0 < drawn["at_today"][-1]["pnl"]
    assert zero_crossings(drawn["at_today"]) == pytest.approx([250.0])


def test_a_long_puts_best_case_at_zero_is_said_not_drawn() -> None:
    drawn = chart(put(1, 270, 6.0, iv=0.3))

    assert drawn["max_profit_at"] == 0.0
    assert drawn["price_from"] > 200  # the strikes are not squeezed into a corner


def test_a_settled_trade_has_nothing_to_draw() -> None:
    closed = put(-1, 270, 6.0, exit_price=1.0)

    assert payoff_chart([closed], spot=SPOT, today=TODAY, rate=RATE) is None


def test_a_leg_without_an_iv_is_counted_as_valued_at_intrinsic_today() -> None:
    drawn = chart(put(-1, 270, 6.0), call(1, 300, 1.0, iv=0.2))

    assert drawn["intrinsic_legs"] == 1
    assert all(math.isfinite(p["pnl"]) for p in drawn["at_today"])


def test_a_flat_extreme_is_placed_at_the_strike_where_it_starts() -> None:
    drawn = chart(call(1, 270, 15.0, iv=0.3), call(-1, 300, 4.0, iv=0.28))  # spot 280 between them

    assert drawn["max_profit_at"] == 300  # held from 300 up: read at the short strike
    assert drawn["max_loss_at"] == 270  # held from 270 down
    above = chart(call(1, 270, 15.0, iv=0.3), call(-1, 300, 4.0, iv=0.28), spot=250.0)  # in the flat loss

    assert above["max_loss_at"] == 270
