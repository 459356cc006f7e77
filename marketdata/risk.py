"""Portfolio risk from trades' figures: greeks and capital at risk summed, β and beta-weighted delta.

Pure computation (no Django). A trade's greeks and max loss are `marketdata.trade_figures`'
(dollars for the whole trade; delta in shares). β is the OLS slope of a symbol's daily log
returns on the benchmark's over the same sessions: `BETA_SESSIONS` closes aligned by date
give 60 returns. A beta-weighted delta is a delta in shares of the benchmark: delta × β ×
price / the benchmark's price, both closes of the last session β is measured on.

Nothing unknown is counted as 0 unsaid: a total leaves out what it cannot count and lists
the trades it left out.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Annotated, TypedDict

from typing_extensions import Doc

from marketdata.trade_figures import GreekName, TradeGreeks

BETA_SESSIONS = 61  # 60 daily log returns
GREEKS: tuple[GreekName, ...] = ("delta", "gamma", "theta", "vega")


class RiskTotals(TypedDict):
    """Open trades' greeks and capital at risk, summed; what a sum leaves out is listed."""

    delta: Annotated[float, Doc("Shares: Σ open trades' delta.")]
    gamma: Annotated[float, Doc("Shares of delta per dollar of the underlying.")]
    theta: Annotated[float, Doc("Dollars per calendar day.")]
    vega: Annotated[float, Doc("Dollars per vol point.")]
    greeks_unknown_trades: Annotated[
        list[int],
        Doc(
            "Open trades with a greek unknown (an open option leg without it, e.g. no quote):"
            " each total leaves out only the greeks a trade has no figure for."
        ),
    ]
    capital_at_risk: Annotated[
        float,
        Doc("Dollars: Σ open trades' finite max loss (a trade that cannot lose adds 0, not its gain)."),
    ]
    unlimited_risk_trades: Annotated[
        list[int], Doc("Open trades whose max loss is unlimited (null): not in capital_at_risk.")
    ]


@dataclass(frozen=True, slots=True)
class Exposure:
    """An open trade as portfolio risk reads it: its id, underlying, greeks and max loss."""

    trade: int
    underlying: str
    greeks: TradeGreeks
    max_loss: float | None  # None while open: the loss grows without bound


def risk_totals(exposures: Sequence[Exposure]) -> RiskTotals:
    """Sum the open trades' greeks and finite max losses; list the trades a sum leaves out."""
    greeks_unknown = sorted({e.trade for e in exposures for name in GREEKS if e.greeks[name] is None})
    totals = {
        name: math.fsum(value for e in exposures if (value := e.greeks[name]) is not None) for name in GREEKS
    }
    return {
        "delta": totals["delta"],
        "gamma": totals["gamma"],
        "theta": totals["theta"],
        "vega": totals["vega"],
        "greeks_unknown_trades": greeks_unknown,
        # A locked-in gain puts nothing at risk, and it does not lessen another trade's risk.
        "capital_at_risk": math.fsum(max(e.max_loss, 0.0) for e in exposures if e.max_loss is not None),
        "unlimited_risk_trades": sorted(e.trade for e in exposures if e.max_loss is None),
    }


def _usable(close: float | None) -> bool:
    return close is not None and close > 0 and math.isfinite(close)


def aligned_sessions(
    asset_closes: Mapping[date, float], benchmark_closes: Mapping[date, float]
) -> list[date]:
    """The sessions both series have a usable close on, oldest first (a gap in one drops the date)."""
    both = asset_closes.keys() & benchmark_closes.keys()
    return sorted(d for d in both if _usable(asset_closes[d]) and _usable(benchmark_closes[d]))


def beta(
    asset_closes: Mapping[date, float],
    benchmark_closes: Mapping[date, float],
    *,
    sessions: int = BETA_SESSIONS,
) -> float | None:
    """The OLS slope of the asset's daily log returns on the benchmark's, over the last `sessions`
    aligned sessions; None with fewer, or when the benchmark did not move."""
    dates = aligned_sessions(asset_closes, benchmark_closes)[-sessions:]
    if len(dates) < max(sessions, 3):
        return None
    asset = [math.log(asset_closes[b] / asset_closes[a]) for a, b in pairwise(dates)]
    benchmark = [math.log(benchmark_closes[b] / benchmark_closes[a]) for a, b in pairwise(dates)]
    try:
        return statistics.linear_regression(benchmark, asset).slope
    except statistics.StatisticsError:  # a constant benchmark: no slope to measure
        return None


@dataclass(frozen=True, slots=True)
class Beta:
    """A symbol's β against the benchmark, and its close / the benchmark's on the last session measured."""

    beta: float | None
    price_ratio: float | None


BENCHMARK_BETA = Beta(beta=1.0, price_ratio=1.0)  # the benchmark against itself


def beta_of(asset_closes: Mapping[date, float], benchmark_closes: Mapping[date, float]) -> Beta:
    """β (`beta`) and the price ratio of the last aligned session; both None when β is."""
    slope = beta(asset_closes, benchmark_closes)
    if slope is None:
        return Beta(beta=None, price_ratio=None)
    last = aligned_sessions(asset_closes, benchmark_closes)[-1]
    return Beta(beta=slope, price_ratio=asset_closes[last] / benchmark_closes[last])


def beta_weighted_delta(exposures: Sequence[Exposure], betas: Mapping[str, Beta]) -> tuple[float, list[int]]:
    """Σ delta × β × price ratio, in benchmark shares, and the open trades it leaves out
    (their delta unknown, or their underlying's β)."""
    parts: list[float] = []
    left_out: list[int] = []
    for exposure in exposures:
        delta = exposure.greeks["delta"]
        weight = betas.get(exposure.underlying)
        if delta is None or weight is None or weight.beta is None or weight.price_ratio is None:
            left_out.append(exposure.trade)
            continue
        parts.append(delta * weight.beta * weight.price_ratio)
    return math.fsum(parts), sorted(left_out)
