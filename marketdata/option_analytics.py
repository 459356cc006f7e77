"""Option analytics: Black–Scholes prices and greeks (pure; no Django).

Units: volatility is an annualised fraction; theta per calendar day; vega per vol point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class BlackScholes:
    """Black–Scholes price and greeks of one European option."""

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
