"""An American option's value at a later date as a function of the underlying's price then (pure).

A trade's figures value each leg outliving the trade's horizon at some 1,200 prices of the
underlying at the horizon (`marketdata.trade_payoff`): `marketdata.american`'s lattice at each
would take 0.15–0.6 s a trade. A lattice node's value depends only on the nodes after it, so one
lattice (the same 100 steps) laid over every price that matters values a whole row of prices at
once, each exactly what `american_greeks` returns with the spot on that node. Between nodes the
curve is a cubic in log price (Hermite, slopes by fourth-order differences, limited as Fritsch &
Carlson 1980 so that it stays monotone); the nodes hold the value of holding on and exercise is
tried at the price itself, so the kink where exercise starts falls where it is, not on a node.

The row spans the strike (plus the dividends' present value) ± 8 standard deviations of log
price over the option's life, and down to where the stock could not pay the smallest dividend
(if that takes at most 600 nodes a side): 100 to 1,200 nodes, 0.2–3 ms (0.7 ms typically).
Beyond, volatility no longer matters and the value is that of a certain path (`certain_value`):
the best of exercising now, either side of an ex-date, or at expiry, the stock net of the
dividends paid (present values) floored at 0.

`american_greeks` itself moves up and down a little as the spot slides between its nodes (its
error against a finer lattice is a sawtooth of one node's period); the curve, smooth through the
nodes, cannot follow that. Over 184 cases (calls and puts, 1 day to 2 years, vol 15–90 %, r 0
and 4.5 %, no, one or quarterly dividends of 0.5–1 % of the strike), at 121 prices within 4
standard deviations of the strike, the curve is within $0.005 or 0.1 % of `american_greeks` at
every price in 180 (the median case's worst price at 3 % of that), and from 20 % to 3x the
strike in 179. The others are at 15 % vol over 1–2 years: up to $0.038 apart, where either is
up to $0.045 from the same lattice at 1,500 steps (tests/marketdata/test_american_curve.py).

Inputs as `marketdata.american`'s: years from the curve's date, dividends as (years from it,
cash per share), those outside the option's life or not positive ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from marketdata.american import (
    STEPS,
    Dividends,
    ExDividends,
    _ex_dividends,
    _grid,
    _is_european,
    _roll,
    _Terms,
)
from marketdata.pricing import black_scholes

SPREAD = 8.0  # standard deviations of log price either side of the strike that the row spans
_SPARE_NODES = 2  # beyond those, so the slopes at the row's ends read past what matters
_MOST_NODES = 600  # either side of the row's middle: some 3 ms of lattice
Moments = tuple[tuple[float, float], ...]  # per exercise moment: (discounted strike, dividends' PV)


@dataclass(frozen=True, slots=True)
class AmericanCurve:
    """An option's value per share at a date, as a function of the underlying's price then."""

    strike: float
    years: float  # from the curve's date to expiry
    rate: float
    volatility: float
    call: bool
    european: bool  # never worth exercising early: Black-Scholes, exactly
    certain: Moments
    first: float = 0.0  # log price of the row's lowest node
    dx: float = 1.0  # log price between nodes
    values: tuple[float, ...] = ()  # of holding on, per node
    cubic: tuple[tuple[float, float, float], ...] = ()  # per interval: Hermite terms in s, s², s³

    def __call__(self, price: float) -> float:
        if self.european:
            return self._black_scholes(price)
        if price <= 0:
            return self.certain_value(0.0)
        position = (math.log(price) - self.first) / self.dx
        if not 0.0 <= position < len(self.cubic):
            return self.certain_value(price)
        node = int(position)
        s = position - node
        linear, square, cube = self.cubic[node]
        held = self.values[node] + s * (linear + s * (square + s * cube))
        return max(held, price - self.strike if self.call else self.strike - price, 0.0)

    def certain_value(self, price: float) -> float:
        """The value on a certain path: the best discounted payoff of a moment to exercise."""
        best = max(price - self.strike if self.call else self.strike - price, 0.0)
        for discounted_strike, paid in self.certain:
            stock = max(price - paid, 0.0)  # a stock's dividends cannot take it below nothing
            best = max(best, stock - discounted_strike if self.call else discounted_strike - stock)
        return best

    def _black_scholes(self, price: float) -> float:
        if price <= 0:  # Black-Scholes is undefined at 0; these are its limits there
            return 0.0 if self.call else self.strike * math.exp(-self.rate * self.years)
        return black_scholes(
            spot=price,
            strike=self.strike,
            years=self.years,
            rate=self.rate,
            volatility=self.volatility,
            contract_type="call" if self.call else "put",
        ).price


def american_curve(
    *,
    strike: float,
    years: float,
    rate: float,
    volatility: float,
    contract_type: Literal["call", "put"],
    dividends: Dividends = (),
) -> AmericanCurve:
    """The option's American value as a function of the underlying's price, from one lattice run."""
    if strike <= 0 or years <= 0 or volatility <= 0:
        raise ValueError("strike, years and volatility must be positive")
    call, ex = contract_type == "call", _ex_dividends(dividends, years)
    certain = _certain_moments(strike, years, rate, ex)
    if _is_european(call, rate, ex):
        return AmericanCurve(strike, years, rate, volatility, call, european=True, certain=certain)
    grid = _grid(years, rate, ex, STEPS)
    dx = volatility * math.sqrt(3.0 * grid.widest)
    spread = SPREAD * volatility * math.sqrt(years)
    reach = (
        spread
        + (abs(rate) + 0.5 * volatility * volatility) * years  # the drift until expiry
        + math.log1p(math.fsum(cash for _, cash in ex) / strike)  # and the dividends' drop
    )
    middle = math.log(strike + math.fsum(cash * math.exp(-rate * when) for when, cash in ex))
    top, bottom = middle + reach, middle - reach
    if ex:  # down to where the stock surely cannot pay the smallest dividend (where its floor at
        # 0 makes volatility matter again), unless the nodes are too close for that to be cheap
        floor = math.log(min(cash for _, cash in ex)) - spread
        bottom = floor if floor < bottom and (top - floor) / (2.0 * dx) <= _MOST_NODES else bottom
    width = math.ceil((top - bottom) / (2.0 * dx)) + _SPARE_NODES
    lattice = _Terms(spot=math.exp((top + bottom) / 2.0), strike=strike, rate=rate, call=call)
    spots, held = _roll(lattice, volatility, grid, width, exercise_today=False)
    return AmericanCurve(
        strike,
        years,
        rate,
        volatility,
        call,
        european=False,
        certain=certain,
        first=math.log(float(spots[0])),
        dx=dx,
        values=tuple(held.tolist()),
        cubic=_hermite(held),
    )


def _certain_moments(strike: float, years: float, rate: float, ex: ExDividends) -> Moments:
    """(discounted strike, dividends' PV paid by then) just before and after each ex-date, and at expiry."""
    moments: list[tuple[float, float]] = []
    paid = 0.0
    for when, cash in (*ex, (years, 0.0)):
        discounted = strike * math.exp(-rate * when)
        moments.append((discounted, paid))
        paid += cash * math.exp(-rate * when)
        moments.append((discounted, paid))
    return tuple(moments)


def _hermite(values: np.ndarray) -> tuple[tuple[float, float, float], ...]:
    """Each interval's cubic in s ∈ [0, 1) (its left node's value aside), monotone where the nodes are."""
    secants = np.diff(values)  # per interval, in units of s
    slopes = np.empty_like(values)
    slopes[2:-2] = (values[:-4] - 8.0 * values[1:-3] + 8.0 * values[3:-1] - values[4:]) / 12.0
    slopes[[1, -2]] = (values[[2, -1]] - values[[0, -3]]) / 2.0
    slopes[[0, -1]] = secants[[0, -1]]
    # Fritsch-Carlson: a slope of another sign than either neighbouring secant becomes 0, and none
    # exceeds 3 times the smaller, so no cubic overshoots where the values are monotone.
    left, right = np.concatenate(([secants[0]], secants)), np.concatenate((secants, [secants[-1]]))
    same_way = (np.sign(slopes) == np.sign(left)) & (np.sign(slopes) == np.sign(right))
    limit = 3.0 * np.minimum(np.abs(left), np.abs(right))
    slopes = np.where(same_way, np.sign(slopes) * np.minimum(np.abs(slopes), limit), 0.0)
    d0, d1 = slopes[:-1], slopes[1:]
    square, cube = 3.0 * secants - 2.0 * d0 - d1, d0 + d1 - 2.0 * secants
    return tuple(zip(d0.tolist(), square.tolist(), cube.tolist(), strict=True))
