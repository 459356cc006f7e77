"""A trade's P&L at its horizon as a function of the underlying's price: extremes and breakevens.

Pure computation (no Django). The horizon is the nearest expiration among the trade's open
option legs; a trade holding only shares has none, and its P&L is the shares' P&L. At the
horizon, legs expiring then are worth their intrinsic value, legs outliving it their American
value at their own IV with the time they have left and the cash dividends going ex after the
horizon and before their expiration (`marketdata.american_curve`: one lattice per leg gives its
value at every price; a call with no dividend ahead is Black-Scholes exactly), and closed legs
their realised P&L, a constant. Every leg's fees are subtracted. Prices are per share, money in
dollars for the whole trade; years = calendar days / 365.

The P&L is searched on a grid of underlying prices from 0 to 3x the highest strike, spot or
share price, with every strike a grid point: expiry payoffs are linear between strikes, so
their extremes sit at grid points and their zero crossings are refined exactly by bisection.
Where legs are valued by the model, the extreme is refined by golden-section search around
the best grid point. Beyond the grid's end the P&L moves at its asymptotic slope (shares,
plus calls: a call's delta tends to 1), which says whether profit or loss is unlimited.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Literal

from marketdata.american import dividends_in_years
from marketdata.american_curve import AmericanCurve, american_curve
from marketdata.option_analytics import DAYS_PER_YEAR

LegKind = Literal["stock", "call", "put"]

GRID_END_MULTIPLE = 3.0  # the grid runs to 3x the highest strike, spot or share price
GRID_INTERVALS = 1000  # even steps between 0 and the grid's end, strikes added on top
_PRICE_TOLERANCE = 1e-9  # bisection and golden-section stop here (a billionth of a dollar)
_MAX_ITERATIONS = 100
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True, slots=True)
class FigureLeg:
    """One leg of a trade as the figures read it; prices and greeks per share.

    `quantity` is signed (+ long, − short): shares for stock, contracts for options.
    `fees` are the leg's dollars, opening and closing. A leg with an `exit_price` is closed.
    `mark` is its current price (for the unrealised P&L); `iv` (annualised fraction) values it
    by the model when it outlives the horizon and gives the probability of profit its σ.
    """

    kind: LegKind
    quantity: int
    multiplier: int
    entry_price: float
    fees: float = 0.0
    strike: float | None = None
    expiration: date | None = None
    exit_price: float | None = None
    mark: float | None = None
    iv: float | None = None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None

    def __post_init__(self) -> None:
        if self.kind != "stock" and (self.strike is None or self.expiration is None):
            raise ValueError("an option leg needs a strike and an expiration")

    @property
    def is_open(self) -> bool:
        """Whether the leg is still held (it has no exit price)."""
        return self.exit_price is None

    @property
    def size(self) -> int:
        """Signed shares the leg stands for: quantity × multiplier."""
        return self.quantity * self.multiplier


def horizon_of(legs: Sequence[FigureLeg]) -> date | None:
    """The nearest expiration among the open option legs; None when only shares are open."""
    expirations = [leg.expiration for leg in legs if leg.is_open and leg.expiration is not None]
    return min(expirations) if expirations else None


@dataclass(frozen=True, slots=True)
class _OpenLeg:
    """An open leg reduced to what its value at the horizon needs."""

    kind: LegKind
    size: int
    strike: float
    model: AmericanCurve | None = None  # only for a leg outliving the horizon with an IV

    def value(self, price: float) -> float:
        """Value per share when the underlying is at `price` at the horizon."""
        if self.kind == "stock":
            return price
        if self.model is not None:
            return self.model(price)
        return max(price - self.strike, 0.0) if self.kind == "call" else max(self.strike - price, 0.0)


@dataclass(frozen=True, slots=True)
class HorizonPnl:
    """The trade's P&L in dollars at `horizon` as a function of the underlying's price then."""

    horizon: date | None
    constant: float  # closed legs' realised P&L, minus every fee, minus what the open legs cost
    open_legs: tuple[_OpenLeg, ...]

    def __call__(self, price: float) -> float:
        return self.constant + math.fsum(leg.value(price) * leg.size for leg in self.open_legs)

    @property
    def upside_slope(self) -> int:
        """Dollars per dollar of the underlying beyond the grid: shares plus calls (delta → 1)."""
        return sum(leg.size for leg in self.open_legs if leg.kind in ("stock", "call"))

    @property
    def is_smooth_somewhere(self) -> bool:
        """Whether a leg is valued by the model, so an extreme may fall between grid points."""
        return any(leg.model is not None for leg in self.open_legs)


def horizon_pnl(
    legs: Sequence[FigureLeg],
    *,
    rate: float,
    dividends: Sequence[tuple[date, float]] = (),
    on: date | None = None,
) -> HorizonPnl | None:
    """The trade's P&L at its horizon, or `on` another day; None when no leg is open (settled).

    `on` today gives the P&L if the underlying moved there now: every open option leg at its
    model value with the time it has left. `dividends` is the underlying's expected schedule,
    (ex-date, cash per share): those going ex after the horizon and before a leg's expiration
    count in that leg's value. A leg outliving the horizon without a positive IV falls back to
    its intrinsic value: a lower bound for a long leg, so its max loss and breakevens are then
    conservative.
    """
    open_legs = [leg for leg in legs if leg.is_open]
    if not open_legs:
        return None
    horizon = on if on is not None else horizon_of(legs)
    constant = math.fsum(
        (leg.exit_price - leg.entry_price) * leg.size for leg in legs if leg.exit_price is not None
    )
    constant -= math.fsum(leg.fees for leg in legs)
    constant -= math.fsum(leg.entry_price * leg.size for leg in open_legs)
    return HorizonPnl(
        horizon=horizon,
        constant=constant,
        open_legs=tuple(_reduced(leg, horizon, rate=rate, dividends=dividends) for leg in open_legs),
    )


def _reduced(
    leg: FigureLeg, horizon: date | None, *, rate: float, dividends: Sequence[tuple[date, float]]
) -> _OpenLeg:
    if leg.kind == "stock" or leg.strike is None or leg.expiration is None or horizon is None:
        return _OpenLeg(kind=leg.kind, size=leg.size, strike=0.0)
    days_left = (leg.expiration - horizon).days
    if days_left <= 0 or leg.iv is None or not (leg.iv > 0 and math.isfinite(leg.iv)):
        return _OpenLeg(kind=leg.kind, size=leg.size, strike=leg.strike)
    model = american_curve(
        strike=leg.strike,
        years=days_left / DAYS_PER_YEAR,
        rate=rate,
        volatility=leg.iv,
        contract_type=leg.kind,
        dividends=dividends_in_years(dividends, today=horizon, expiration=leg.expiration),
    )
    return _OpenLeg(kind=leg.kind, size=leg.size, strike=leg.strike, model=model)


def price_grid(legs: Sequence[FigureLeg], *, spot: float | None) -> list[float]:
    """Underlying prices from 0 to 3x the highest strike, spot or share price; every strike included."""
    strikes = [leg.strike for leg in legs if leg.is_open and leg.strike is not None]
    shares = [leg.entry_price for leg in legs if leg.is_open and leg.kind == "stock"]
    references = [p for p in (*strikes, *shares, spot or 0.0) if p > 0 and math.isfinite(p)]
    end = GRID_END_MULTIPLE * max(references, default=1.0)
    step = end / GRID_INTERVALS
    return sorted({*(i * step for i in range(GRID_INTERVALS + 1)), *strikes})


@dataclass(frozen=True, slots=True)
class Payoff:
    """What the horizon P&L's curve says; money in dollars, prices per share, full precision."""

    max_profit: float | None  # the highest P&L; None when it grows without bound
    max_loss: float | None  # minus the lowest P&L; None when the loss grows without bound
    breakevens: list[float]  # ascending: where the P&L turns positive or stops being so
    profit_intervals: list[tuple[float, float]]  # where the P&L > 0; math.inf as an open end
    max_profit_at: float | None = None  # an underlying price where the P&L is highest
    max_loss_at: float | None = None  # an underlying price where it is lowest


def payoff(pnl: HorizonPnl, grid: Sequence[float]) -> Payoff:
    """The P&L's extremes, breakevens and profitable intervals, searched on `grid` (from 0, ascending).

    A maximum below 0 (every outcome loses) or a minimum above 0 (every outcome gains) is
    reported as it is: `max_profit` negative, or `max_loss` negative.
    """
    values = [pnl(price) for price in grid]
    slope = pnl.upside_slope
    max_profit_at = None if slope > 0 else _extreme_at(pnl, grid, values, sign=1.0)
    max_loss_at = None if slope < 0 else _extreme_at(pnl, grid, values, sign=-1.0)
    boundaries = _profit_boundaries(pnl, grid, values)
    edges = [0.0, *boundaries, math.inf]
    first = 0 if values[0] > 0 else 1  # each boundary flips the sign, so intervals alternate
    intervals = [(edges[i], edges[i + 1]) for i in range(first, len(edges) - 1, 2)]
    return Payoff(
        max_profit=None if max_profit_at is None else pnl(max_profit_at),
        max_loss=None if max_loss_at is None else -pnl(max_loss_at),
        breakevens=boundaries,
        profit_intervals=intervals,
        max_profit_at=max_profit_at,
        max_loss_at=max_loss_at,
    )


def _extreme_at(pnl: HorizonPnl, grid: Sequence[float], values: Sequence[float], *, sign: float) -> float:
    """Where the P&L is highest (sign 1) or lowest (sign −1), refined between grid points where smooth."""
    best = max(range(len(values)), key=lambda i: sign * values[i])
    at, extreme = grid[best], values[best]
    if not pnl.is_smooth_somewhere:
        return at  # linear between strikes, which are grid points: the grid's extreme is exact
    for low, high in ((best - 1, best), (best, best + 1)):
        if low >= 0 and high < len(grid):
            refined_at = _golden_section_max(lambda p: sign * pnl(p), grid[low], grid[high])
            refined = pnl(refined_at)
            if sign * refined > sign * extreme:
                at, extreme = refined_at, refined
    return at


def _golden_section_max(function: Callable[[float], float], low: float, high: float) -> float:
    """Where a function unimodal on [low, high] is highest."""
    left, right = high - _GOLDEN * (high - low), low + _GOLDEN * (high - low)
    at_left, at_right = function(left), function(right)
    for _ in range(_MAX_ITERATIONS):
        if high - low < _PRICE_TOLERANCE:
            break
        if at_left < at_right:
            low, left, at_left = left, right, at_right
            right = low + _GOLDEN * (high - low)
            at_right = function(right)
        else:
            high, right, at_right = right, left, at_left
            left = high - _GOLDEN * (high - low)
            at_left = function(left)
    return (low + high) / 2.0


def _profit_boundaries(pnl: HorizonPnl, grid: Sequence[float], values: Sequence[float]) -> list[float]:
    """Prices where the P&L crosses between > 0 and ≤ 0, ascending, beyond the grid's end too."""
    boundaries = [
        _bisect(pnl, low, high, low_profitable=at_low > 0)
        for (low, at_low), (high, at_high) in pairwise(zip(grid, values, strict=True))
        if (at_low > 0) != (at_high > 0)
    ]
    # Past the last strike an expiry payoff is linear at the upside slope (a modelled call is
    # nearly so that far in the money): one more crossing when the slope heads back across 0.
    end, at_end, slope = grid[-1], values[-1], pnl.upside_slope
    if slope != 0 and (at_end > 0) != (slope > 0):
        boundaries.append(end - at_end / slope)
    return boundaries


def _bisect(pnl: HorizonPnl, low: float, high: float, *, low_profitable: bool) -> float:
    """The price in [low, high] where P&L > 0 starts or stops holding."""
    for _ in range(_MAX_ITERATIONS):
        if high - low < _PRICE_TOLERANCE:
            break
        middle = (low + high) / 2.0
        if (pnl(middle) > 0) == low_profitable:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0
