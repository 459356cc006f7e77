"""The trade admin page's data: figures, payoff diagram, valued legs, signals and alerts, at once.

One assessment (`trade_analysis.trades_assessed`, the cache only: the admin never waits on a
provider) gives the figures, the signals and every leg's valuation; the payoff diagram is
drawn from the very legs, spot and dividends the figures were computed from
(`marketdata.payoff_chart`), so its breakevens and extremes are the figures'.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings

from core.errors import MojoError
from marketdata import clock, presentation
from marketdata.payoff_chart import PayoffChart, PayoffPoint, payoff_chart
from marketdata.trade_figures import TradeFigures
from watchlist import alerts, trade_analysis
from watchlist.models import Alert, Position, Trade
from watchlist.valuation import Valuation

ALERTS_SHOWN = 20


class SignalShown(TypedDict):
    code: str
    message: str
    since: str | None  # ISO time its alert first fired; None until a cycle has seen it


class LegShown(TypedDict):
    position: Position
    valuation: Valuation | None


class TradePage(TypedDict):
    problem: str | None  # why nothing could be read (the cache down), else None
    figures: TradeFigures | None
    chart: PayoffChart | None
    signals: list[SignalShown]
    legs: list[LegShown]
    alerts: list[Alert]
    alert_count: int


def trade_page_get(trade: Trade) -> TradePage:
    """Everything the trade's admin page shows, from one cache read and the trade's own rows."""
    legs = list(trade.legs.order_by("opened_at", "pk"))
    recent = list(trade.alerts.order_by("-first_seen")[:ALERTS_SHOWN])
    page: TradePage = {
        "problem": None,
        "figures": None,
        "chart": None,
        "signals": [],
        "legs": [{"position": leg, "valuation": None} for leg in legs],
        "alerts": recent,
        "alert_count": trade.alerts.count(),
    }
    try:
        assessed = trade_analysis.trades_assessed([trade], fetch_missing=False)
    except MojoError as error:
        return {**page, "problem": error.message}
    inputs = assessed.inputs[trade.pk]
    since = alerts.signal_since([trade])
    chart = payoff_chart(
        inputs.legs,
        spot=inputs.spot,
        today=clock.market_today(),
        rate=settings.RISK_FREE_RATE,
        dividends=inputs.dividends,
    )
    return {
        **page,
        "figures": assessed.figures[trade.pk],
        "chart": _distinct_prices(presentation.rounded(chart)) if chart is not None else None,
        "signals": [
            {"code": s.code, "message": s.message, "since": _iso(since.get((trade.pk, s.code)))}
            for s in assessed.signals[trade.pk]
        ],
        "legs": [{"position": leg, "valuation": assessed.valuations.get(leg.pk)} for leg in legs],
    }


def _distinct_prices(chart: PayoffChart) -> PayoffChart:
    """The chart with one point per price: rounding can make a marked price equal a grid step's,
    and the chart's x axis takes each price once, ascending."""
    return {**chart, "at_horizon": _distinct(chart["at_horizon"]), "at_today": _distinct(chart["at_today"])}


def _distinct(points: list[PayoffPoint]) -> list[PayoffPoint]:
    return [point for i, point in enumerate(points) if i == 0 or point["price"] > points[i - 1]["price"]]


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
