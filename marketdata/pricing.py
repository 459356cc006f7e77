"""Black-Scholes prices and greeks of European options, and the implied-volatility solver (pure).

Units: volatility is an annualised fraction (0.35 = 35 %); theta per calendar day; vega per
vol point; prices per share; `years` = calendar days / 365.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class BlackScholes:
    """Black-Scholes price and greeks of one European option."""

    price: float
    delta: float
    gamma: float
    theta: float
    vega: float


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def black_scholes(
    *,
    spot: float,
    strike: float,
    years: float,
    rate: float,
    volatility: float,
    contract_type: Literal["call", "put"],
) -> BlackScholes:
    """Price a European option and its greeks (theta per calendar day, vega per vol point)."""
    if spot <= 0 or strike <= 0 or years <= 0 or volatility <= 0:
        raise ValueError("spot, strike, years and volatility must be positive")
    sqrt_t = math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate + 0.5 * volatility**2) * years) / (volatility * sqrt_t)
    d2 = d1 - volatility * sqrt_t
    discount = math.exp(-rate * years)
    pdf_d1 = _norm_pdf(d1)
    gamma = pdf_d1 / (spot * volatility * sqrt_t)
    vega = spot * pdf_d1 * sqrt_t / 100.0
    decay = -spot * pdf_d1 * volatility / (2.0 * sqrt_t)
    if contract_type == "call":
        price = spot * _norm_cdf(d1) - strike * discount * _norm_cdf(d2)
        delta = _norm_cdf(d1)
        theta_year = decay - rate * strike * discount * _norm_cdf(d2)
    else:
        price = strike * discount * _norm_cdf(-d2) - spot * _norm_cdf(-d1)
        delta = _norm_cdf(d1) - 1.0
        theta_year = decay + rate * strike * discount * _norm_cdf(-d2)
    return BlackScholes(price=price, delta=delta, gamma=gamma, theta=theta_year / 365.0, vega=vega)


IV_LOWER = 1e-4
IV_UPPER = 5.0  # 500 %: beyond this a "solution" says more about the price than the option
_IV_PRICE_TOLERANCE = 1e-10
_IV_MAX_ITERATIONS = 100


def implied_volatility(
    *,
    price: float | None,
    spot: float,
    strike: float,
    years: float,
    rate: float,
    contract_type: Literal["call", "put"],
) -> float | None:
    """Solve Black-Scholes for the volatility that reproduces `price` (per share).

    Newton steps safeguarded by bisection on [1e-4, 5.0]. Returns None when the inputs are
    unusable or no volatility in that range reproduces the price (a price at or below the
    no-arbitrage lower bound, or at or above the upper one).
    """
    if price is None or not (price > 0 and math.isfinite(price)) or spot <= 0 or strike <= 0 or years <= 0:
        return None
    discounted_strike = strike * math.exp(-rate * years)
    if contract_type == "call":
        lower_bound, upper_bound = max(0.0, spot - discounted_strike), spot
    else:
        lower_bound, upper_bound = max(0.0, discounted_strike - spot), discounted_strike
    if not lower_bound < price < upper_bound:
        return None

    def priced(volatility: float) -> BlackScholes:
        return black_scholes(
            spot=spot,
            strike=strike,
            years=years,
            rate=rate,
            volatility=volatility,
            contract_type=contract_type,
        )

    low, high = IV_LOWER, IV_UPPER
    if priced(low).price > price or priced(high).price < price:
        return None  # no volatility in range reproduces the price
    volatility = 0.3
    for _ in range(_IV_MAX_ITERATIONS):
        result = priced(volatility)
        diff = result.price - price
        if abs(diff) < _IV_PRICE_TOLERANCE:
            return volatility
        if diff > 0:
            high = volatility
        else:
            low = volatility
        vega = result.vega * 100.0  # per unit of volatility
        step = volatility - diff / vega if vega > 0 else math.nan
        # Newton when the step stays inside the bracket, else bisect.
        volatility = step if low < step < high else 0.5 * (low + high)
        if high - low < 1e-12:
            return volatility
    return volatility
