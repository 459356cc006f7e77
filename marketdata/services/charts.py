"""What the admin's ticker charts draw, from stored history and the cache only: never a provider.

One cache round trip (stock data, its bars, earnings, the chain summary) and three queries
(stored sessions when the bars are not cached, dividends, IV snapshots). The candles are the
bars the stock data was computed from when cached, so the SMA lines end on the stock
endpoint's values; else the stored sessions. A symbol with neither is `cold`: the page says
so and offers the refresh.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypedDict

from marketdata import chart_series, clock, presentation
from marketdata.chart_series import Candle, Point
from marketdata.dividend_schedule import add_months
from marketdata.history import history_bars
from marketdata.indicators import Indicators, compute_indicators
from marketdata.models import Dividend, IVSnapshot
from marketdata.services.iv_history import iv_stats_get
from marketdata.services.snapshot import market_snapshot_get
from marketdata.services.stocks import stock_bars
from marketdata.symbols import normalize_symbol

# The chart's ranges: months back from today (the longest is what the stock data keeps).
RANGES = {"3M": 3, "1Y": 12, "2Y": 24}
IV_RANGE_WEEKS = 52


class Marker(TypedDict):
    time: str
    kind: str  # swing_high, swing_low, earnings, ex_dividend
    price: float | None
    text: str


class IVPanel(TypedDict):
    points: list[Point]  # one per stored IV snapshot: ATM IV as a fraction
    hv_20: list[Point]
    current_iv: float | None
    iv_rank: float | None
    iv_percentile: float | None
    range_52w: dict[str, float] | None  # {"low", "high"} of the snapshots of the last 52 weeks


class TickerChart(TypedDict):
    symbol: str
    cold: bool
    today: str
    ranges: dict[str, str]  # range name -> first session shown (ISO date)
    candles: list[Candle]
    volume: list[Point]
    sma: dict[str, list[Point]]  # "sma_20", "sma_50", "sma_200"
    support: list[float]
    resistance: list[float]
    markers: list[Marker]
    iv: IVPanel


def ticker_chart_get(ticker: str, *, today: date | None = None) -> TickerChart:
    """The ticker page's price chart and IV panel data (cache and database only)."""
    symbol = normalize_symbol(ticker)
    today = today or clock.market_today()
    snapshot = market_snapshot_get(symbols=[symbol], bar_symbols=[symbol], fetch_missing=False)
    cached_bars = snapshot.bars.get(symbol)
    bars = (
        stock_bars(cached_bars.value)
        if cached_bars is not None
        else history_bars(symbol, since=add_months(today, -RANGES["2Y"]))
    )
    stock = snapshot.stocks.get(symbol)
    figures: Indicators | None = stock.value["indicators"] if stock is not None else None
    if figures is None and bars:
        figures = compute_indicators(bars)
    earnings = snapshot.earnings.get(symbol)
    summary = snapshot.chains.get(symbol)
    markers = _markers(figures, earnings.next_date if earnings else None, _ex_dividends(symbol, today))
    return {
        "symbol": symbol,
        "cold": not bars,
        "today": today.isoformat(),
        "ranges": {name: add_months(today, -months).isoformat() for name, months in RANGES.items()},
        "candles": chart_series.candles(bars),
        "volume": chart_series.volumes(bars),
        "sma": {f"sma_{n}": chart_series.sma_series(bars, n) for n in chart_series.SMA_PERIODS},
        "support": [level["price"] for level in figures["support_levels"]] if figures else [],
        "resistance": [level["price"] for level in figures["resistance_levels"]] if figures else [],
        "markers": markers,
        "iv": _iv_panel(symbol, bars, current=summary.get("atm_iv") if summary else None, today=today),
    }


def _ex_dividends(symbol: str, today: date) -> list[tuple[date, float]]:
    """Stored ex-dividend dates within the chart's span (past two years and upcoming)."""
    return list(
        Dividend.objects.filter(symbol=symbol, ex_dividend_date__gte=add_months(today, -RANGES["2Y"]))
        .order_by("ex_dividend_date")
        .values_list("ex_dividend_date", "cash_amount")
    )


def _markers(
    figures: Indicators | None, earnings: date | None, ex_dividends: list[tuple[date, float]]
) -> list[Marker]:
    found: list[Marker] = []
    if figures is not None:
        for point in figures["swing_highs"]:
            found.append({"time": point["date"], "kind": "swing_high", "price": point["price"], "text": "H"})
        for point in figures["swing_lows"]:
            found.append({"time": point["date"], "kind": "swing_low", "price": point["price"], "text": "L"})
    if earnings is not None:
        found.append({"time": earnings.isoformat(), "kind": "earnings", "price": None, "text": "E"})
    for ex_date, amount in ex_dividends:
        found.append(
            {"time": ex_date.isoformat(), "kind": "ex_dividend", "price": None, "text": f"D {amount:g}"}
        )
    return sorted(found, key=lambda marker: (marker["time"], marker["kind"]))


def _iv_panel(symbol: str, bars: Any, *, current: float | None, today: date) -> IVPanel:
    rows = list(
        IVSnapshot.objects.filter(ticker=symbol, session_date__gte=add_months(today, -RANGES["2Y"]))
        .order_by("session_date")
        .values_list("session_date", "atm_iv")
    )
    year_ago = today - timedelta(weeks=IV_RANGE_WEEKS)
    last_year = [iv for session, iv in rows if session > year_ago]
    stats = iv_stats_get(symbol, current=current)
    return {
        "points": [{"time": session.isoformat(), "value": iv} for session, iv in rows],
        "hv_20": chart_series.hv_series(bars),
        "current_iv": current,
        "iv_rank": presentation.round_field("iv_rank", stats.iv_rank),  # as the API shows them
        "iv_percentile": presentation.round_field("iv_percentile", stats.iv_percentile),
        "range_52w": {"low": min(last_year), "high": max(last_year)} if last_year else None,
    }
