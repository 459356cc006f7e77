"""The figures traders manage a trade by: premium, cost basis, max profit/loss, breakevens, P&L, greeks, POP.

Pure computation (no Django); `today` is passed in. A trade is its legs, open and closed,
over its whole history (`FigureLeg`). Prices are per share; money is dollars for the whole
trade (× quantity × multiplier), fees included: each leg's fees are subtracted once, in
`net_premium`, in the realised (closed legs) or unrealised (open legs) P&L, and in the
horizon P&L behind `max_profit`, `max_loss`, `breakevens` and `pop`. The horizon is the
nearest expiration among open option legs (`marketdata.trade_payoff` draws its P&L curve).
Greeks are summed as the provider or the model gave them per share: theta per calendar day,
vega per vol point. `pop` is a percent number (62.5 = 62.5 %), as `prob_otm` is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from statistics import NormalDist, fmean
from typing import Annotated, Literal, TypedDict

from typing_extensions import Doc

from marketdata.option_analytics import DAYS_PER_YEAR
from marketdata.trade_payoff import FigureLeg, HorizonPnl, Payoff, horizon_pnl, payoff, price_grid

__all__ = ["FigureLeg", "TradeFigures", "TradeGreeks", "trade_figures"]

GreekName = Literal["delta", "gamma", "theta", "vega"]


class TradeGreeks(TypedDict):
    """The open legs' greeks summed: per-share greek × quantity × multiplier."""

    delta: Annotated[float | None, Doc("In shares; null when an open option leg has no delta.")]
    gamma: Annotated[float | None, Doc("Shares of delta per dollar of the underlying.")]
    theta: Annotated[float | None, Doc("Dollars per calendar day.")]
    vega: Annotated[float | None, Doc("Dollars per vol point.")]


class TradeFigures(TypedDict):
    """A trade's figures; money in dollars for the whole trade, prices per share."""

    net_premium: Annotated[float, Doc("Option credits − debits over the trade's history, minus every fee.")]
    cost_basis_per_share: Annotated[
        float | None, Doc("(Open shares' cost − net premium) / shares; null without long shares.")
    ]
    max_profit: Annotated[float | None, Doc("At the nearest expiration; null when unlimited.")]
    max_loss: Annotated[float | None, Doc("Positive, at the nearest expiration; null when unlimited.")]
    breakevens: Annotated[list[float], Doc("Underlying prices where the P&L at the nearest expiration is 0.")]
    realised_pnl: Annotated[float, Doc("Closed legs, their fees included.")]
    unrealised_pnl: Annotated[
        float | None, Doc("Open legs at their current prices, their fees included; null when one has none.")
    ]
    pct_of_max_profit: Annotated[float | None, Doc("Percent: (realised + unrealised) / max profit.")]
    greeks: TradeGreeks
    pop: Annotated[float | None, Doc("Percent: probability the P&L at the nearest expiration is > 0.")]


def trade_figures(
    legs: Sequence[FigureLeg],
    *,
    spot: float | None,
    today: date,
    rate: float,
    dividends: Sequence[tuple[date, float]] = (),
) -> TradeFigures:
    """Return a trade's figures from its legs, the underlying's price, `today` and the risk-free rate.

    `max_profit`, `max_loss`, `breakevens` and `pop` describe the P&L at the nearest open
    expiration (for shares alone, the shares' P&L); with no leg open they are null and [].
    Legs outliving it are valued there by the American model with the underlying's expected
    cash `dividends`, (ex-date, cash per share) (`marketdata.trade_payoff`). `pop` is still the
    risk-neutral lognormal probability that the underlying ends the horizon where that P&L is
    positive: the model moves where that is, not how the price is distributed. Breakevens are
    rounded to the cent.
    """
    usable_spot = spot if spot is not None and spot > 0 and math.isfinite(spot) else None
    premium = net_premium(legs)
    pnl = horizon_pnl(legs, rate=rate, dividends=dividends)
    curve = payoff(pnl, price_grid(legs, spot=usable_spot)) if pnl is not None else None
    realised = realised_pnl(legs)
    unrealised = unrealised_pnl(legs, spot=usable_spot)
    max_profit = curve.max_profit if curve is not None else None
    return {
        "net_premium": premium,
        "cost_basis_per_share": cost_basis_per_share(legs, net_premium=premium),
        "max_profit": max_profit,
        "max_loss": curve.max_loss if curve is not None else None,
        "breakevens": [round(price, 2) for price in curve.breakevens] if curve is not None else [],
        "realised_pnl": realised,
        "unrealised_pnl": unrealised,
        "pct_of_max_profit": (
            100.0 * (realised + unrealised) / max_profit
            if unrealised is not None and max_profit is not None and max_profit > 0
            else None
        ),
        "greeks": trade_greeks(legs),
        "pop": _pop(legs, pnl, curve, spot=usable_spot, today=today, rate=rate),
    }


def net_premium(legs: Sequence[FigureLeg]) -> float:
    """Option credits − debits over the trade's history (a credit is > 0), minus every leg's fees.

    Every leg's fees, the shares' too: this is what the trade took in beyond the shares, net
    of everything it paid to trade, so the cost basis counts each fee exactly once.
    """
    cash = math.fsum(-leg.entry_price * leg.size for leg in legs if leg.kind != "stock")
    cash += math.fsum(
        leg.exit_price * leg.size for leg in legs if leg.kind != "stock" and leg.exit_price is not None
    )
    return cash - math.fsum(leg.fees for leg in legs)


def cost_basis_per_share(legs: Sequence[FigureLeg], *, net_premium: float) -> float | None:
    """(Open long shares' cost − the trade's net premium) / shares; None without open long shares.

    The shares' cost is what was paid for them: entry price × shares (for assigned shares,
    the strike). Their fees are not added here because `net_premium` already subtracts them.
    """
    held = [leg for leg in legs if leg.kind == "stock" and leg.is_open and leg.quantity > 0]
    shares = sum(leg.size for leg in held)
    if shares <= 0:
        return None
    share_cost = math.fsum(leg.entry_price * leg.size for leg in held)
    return (share_cost - net_premium) / shares


def realised_pnl(legs: Sequence[FigureLeg]) -> float:
    """Closed legs' (exit − entry) × quantity × multiplier, minus those legs' fees."""
    return math.fsum(
        (leg.exit_price - leg.entry_price) * leg.size - leg.fees for leg in legs if leg.exit_price is not None
    )


def unrealised_pnl(legs: Sequence[FigureLeg], *, spot: float | None) -> float | None:
    """Open legs' (mark − entry) × quantity × multiplier, minus those legs' fees.

    Shares without a mark are at `spot`, the underlying's price. None when any open leg has
    no price; 0 when none is open.
    """
    total: list[float] = []
    for leg in legs:
        if not leg.is_open:
            continue
        price = spot if leg.mark is None and leg.kind == "stock" else leg.mark
        if price is None:
            return None
        total.append((price - leg.entry_price) * leg.size - leg.fees)
    return math.fsum(total)


def trade_greeks(legs: Sequence[FigureLeg]) -> TradeGreeks:
    """The open legs' greeks × quantity × multiplier; shares count delta 1, no other greek."""
    return {
        "delta": _greek_total(legs, "delta"),
        "gamma": _greek_total(legs, "gamma"),
        "theta": _greek_total(legs, "theta"),
        "vega": _greek_total(legs, "vega"),
    }


def _greek_total(legs: Sequence[FigureLeg], name: GreekName) -> float | None:
    parts: list[float] = []
    for leg in legs:
        if not leg.is_open:
            continue
        if leg.kind == "stock":
            per_share: float | None = 1.0 if name == "delta" else 0.0
        else:
            per_share = getattr(leg, name)
        if per_share is None:
            return None  # a partial sum would read as the trade's exposure, and it is not
        parts.append(per_share * leg.size)
    return math.fsum(parts)


def pop_volatility(legs: Sequence[FigureLeg], horizon: date) -> float | None:
    """σ for the probability of profit: the IV of the short legs expiring at the horizon.

    When none of those has an IV, the IV of any open leg expiring at the horizon; several
    legs are averaged (an iron condor's two shorts). Later legs say less about the move
    until the horizon, so they are not used.
    """
    at_horizon = [
        leg for leg in legs if leg.is_open and leg.expiration == horizon and leg.iv is not None and leg.iv > 0
    ]
    chosen = [leg for leg in at_horizon if leg.quantity < 0] or at_horizon
    return fmean(leg.iv for leg in chosen if leg.iv is not None) if chosen else None


def probability_in(
    intervals: Sequence[tuple[float, float]], *, spot: float, volatility: float, years: float, rate: float
) -> float:
    """Percent probability that the underlying ends inside `intervals` after `years`.

    Risk-neutral lognormal: ln S_T ~ N(ln S + (r − σ²/2)T, σ²T), integrated exactly by the
    normal CDF of each interval's ends (0 and math.inf are the open ends).
    """
    log_price = NormalDist(
        mu=math.log(spot) + (rate - volatility**2 / 2.0) * years, sigma=volatility * math.sqrt(years)
    )

    def below(price: float) -> float:
        if price <= 0:
            return 0.0
        return 1.0 if math.isinf(price) else log_price.cdf(math.log(price))

    return 100.0 * math.fsum(below(high) - below(low) for low, high in intervals)


def _pop(
    legs: Sequence[FigureLeg],
    pnl: HorizonPnl | None,
    curve: Payoff | None,
    *,
    spot: float | None,
    today: date,
    rate: float,
) -> float | None:
    """POP at the horizon; None without spot, σ or horizon, or once the horizon has passed."""
    if pnl is None or curve is None or pnl.horizon is None or spot is None:
        return None
    days = (pnl.horizon - today).days
    volatility = pop_volatility(legs, pnl.horizon)
    if days < 0 or volatility is None:
        return None  # past expiration the outcome is the expiry close's, not a probability
    if days == 0:  # expiring today: no time left to move, the outcome is today's price
        return 100.0 if pnl(spot) > 0 else 0.0
    return probability_in(
        curve.profit_intervals, spot=spot, volatility=volatility, years=days / DAYS_PER_YEAR, rate=rate
    )
