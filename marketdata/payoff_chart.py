"""What a trade's payoff diagram draws: its P&L at the horizon and today over a range of spots.

Pure computation (no Django); `today` is passed in. The horizon curve is the one behind the
trade's figures (`marketdata.trade_payoff`): its breakevens, extremes and where they fall are
that curve's, searched on the figures' own grid, so the diagram agrees with them exactly. The
today curve values every open option leg by the model with the time it has left (`on=today`).
The range spans the strikes, the spot and the breakevens, half that span again on each side
(from 0 at the lowest), widened to the extremes' prices when they are near; it is sampled at
`CHART_POINTS` even steps plus those prices themselves: each crossing and peak drawn is a point
of the curve, not between two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import TypedDict

from marketdata.trade_payoff import FigureLeg, HorizonPnl, horizon_pnl, payoff, price_grid

CHART_POINTS = 240
RANGE_MARGIN = 0.5  # of the span of the prices that matter, on each side
EXTREME_TOLERANCE = 1e-9  # relative: a flat stretch of the P&L differs by rounding only
MIN_SPAN_FRACTION = 0.2  # of the highest such price: a single strike still gets a range around it


class PayoffPoint(TypedDict):
    price: float
    pnl: float


class PayoffChart(TypedDict):
    horizon: str | None  # ISO date of the nearest open expiration; None for shares alone
    today: str
    spot: float | None
    price_from: float  # the range drawn
    price_to: float
    at_horizon: list[PayoffPoint]  # empty for shares alone: today's curve is then the payoff
    at_today: list[PayoffPoint]
    strikes: list[float]
    breakevens: list[float]  # the horizon curve's, unrounded
    max_profit: float | None
    max_profit_at: float | None
    max_loss: float | None
    max_loss_at: float | None
    intrinsic_legs: int  # open legs outliving today without an IV: today's curve values them at intrinsic


def payoff_chart(
    legs: Sequence[FigureLeg],
    *,
    spot: float | None,
    today: date,
    rate: float,
    dividends: Sequence[tuple[date, float]] = (),
    points: int = CHART_POINTS,
) -> PayoffChart | None:
    """The trade's payoff diagram; None when no leg is open (nothing left to draw)."""
    at_horizon = horizon_pnl(legs, rate=rate, dividends=dividends)
    at_today = horizon_pnl(legs, rate=rate, dividends=dividends, on=today)
    if at_horizon is None or at_today is None:
        return None
    usable_spot = spot if spot is not None and spot > 0 and math.isfinite(spot) else None
    curve = payoff(at_horizon, price_grid(legs, spot=usable_spot))
    strikes = sorted({leg.strike for leg in legs if leg.is_open and leg.strike is not None})
    shares = [leg.entry_price for leg in legs if leg.is_open and leg.kind == "stock"]
    anchors = [
        p for p in (*strikes, *curve.breakevens, usable_spot) if p is not None and math.isfinite(p)
    ] or shares
    extremes = [p for p in (curve.max_profit_at, curve.max_loss_at) if p is not None]
    low, high = _range(anchors, extremes)
    step = (high - low) / points
    shown = (p for p in (*anchors, *extremes) if low <= p <= high)
    prices = sorted({*(low + i * step for i in range(points + 1)), *shown})
    options_open = at_horizon.horizon is not None
    horizon_curve = _curve(at_horizon, prices)
    return {
        "horizon": at_horizon.horizon.isoformat() if at_horizon.horizon else None,
        "today": today.isoformat(),
        "spot": usable_spot,
        "price_from": low,
        "price_to": high,
        "at_horizon": horizon_curve if options_open else [],
        "at_today": _curve(at_today, prices),
        "strikes": strikes,
        "breakevens": curve.breakevens,
        "max_profit": curve.max_profit,
        "max_profit_at": _where(
            horizon_curve, curve.max_profit, curve.max_profit_at, spot=usable_spot, strikes=strikes
        ),
        "max_loss": curve.max_loss,
        "max_loss_at": _where(
            horizon_curve,
            None if curve.max_loss is None else -curve.max_loss,
            curve.max_loss_at,
            spot=usable_spot,
            strikes=strikes,
        ),
        "intrinsic_legs": sum(
            1
            for leg in legs
            if leg.is_open and leg.kind != "stock" and leg.expiration is not None
            and leg.expiration > today and not (leg.iv and leg.iv > 0)
        ),
    }  # fmt: skip


def _range(anchors: Sequence[float], extremes: Sequence[float]) -> tuple[float, float]:
    """Around the anchors (strikes, breakevens, spot) by half their span each side; widened to
    an extreme's price when that takes at most one more span (a long put's best case at 0 would
    squeeze the strikes into a corner: its price is said, not drawn)."""
    lowest, highest = min(anchors), max(anchors)
    span = max(highest - lowest, MIN_SPAN_FRACTION * highest, 1.0)
    low, high = max(0.0, lowest - RANGE_MARGIN * span), highest + RANGE_MARGIN * span
    for price in extremes:
        if low - span <= price < low:
            low = max(0.0, price - 0.05 * span)
        elif high < price <= high + span:
            high = price + 0.05 * span
    return low, high


def _where(
    curve: Sequence[PayoffPoint],
    extreme: float | None,
    found_at: float | None,
    *,
    spot: float | None,
    strikes: Sequence[float],
) -> float | None:
    """Where the drawn P&L is `extreme`, as a trader reads it: a vertical's max profit holds from
    its upper strike on, so at a strike where one reaches it (the nearest the spot), else at the
    drawn price nearest the spot; `found_at` (the search's own) when no drawn point reaches it."""
    if extreme is None:
        return None
    tolerance = EXTREME_TOLERANCE * max(1.0, abs(extreme))
    reached = [p["price"] for p in curve if abs(p["pnl"] - extreme) <= tolerance]
    candidates = [price for price in reached if price in strikes] or reached
    if not candidates:
        return found_at
    return candidates[0] if spot is None else min(candidates, key=lambda price: abs(price - spot))


def _curve(pnl: HorizonPnl, prices: Sequence[float]) -> list[PayoffPoint]:
    return [{"price": price, "pnl": pnl(price)} for price in prices]
