"""A trade's figures (`marketdata.trade_figures`) from its legs and what the cache holds for them.

One cache round trip for every trade asked, the same read the legs' valuations come from: the
underlyings' prices and the open contracts' quotes, IVs and greeks (the provider's; a leg
without them leaves the greeks it would add, and its model value, unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from marketdata import clock, presentation
from marketdata import services as marketdata_services
from marketdata.domain import OptionSnapshot
from marketdata.trade_figures import FigureLeg, TradeFigures, trade_figures
from watchlist import portfolio
from watchlist.models import Instrument, Position, Trade
from watchlist.valuation import Valuation


def _figure_leg(leg: Position, quote: dict[str, Any] | None, *, spot: float | None) -> FigureLeg:
    """The leg as the figures take it: its contract, sizes, prices, and the quote's mark, IV and greeks."""
    common: dict[str, Any] = {
        "quantity": leg.quantity,
        "multiplier": leg.multiplier,
        "entry_price": float(leg.entry_price),
        "fees": float(leg.fees),
        "exit_price": float(leg.exit_price) if leg.exit_price is not None else None,
    }
    if leg.instrument == Instrument.STOCK:
        return FigureLeg(kind="stock", mark=spot, **common)
    contract = OptionSnapshot.from_payload(quote) if quote is not None else None
    return FigureLeg(
        kind="call" if leg.contract_type == "call" else "put",
        strike=leg.strike,
        expiration=leg.expiration,
        mark=quote["price"] if quote is not None else None,
        iv=contract.implied_volatility if contract else None,
        delta=contract.delta if contract else None,
        gamma=contract.gamma if contract else None,
        theta=contract.theta if contract else None,
        vega=contract.vega if contract else None,
        **common,
    )


def trades_valued(
    trades: Sequence[Trade], *, fetch_missing: bool, deadline: Deadline | None = None
) -> tuple[dict[int, Valuation], dict[int, TradeFigures]]:
    """Every leg's valuation (by position id) and each trade's figures (by trade id), from one cache read."""
    legs = [leg for trade in trades for leg in trade.legs.all()]
    valuations, snapshot = portfolio.positions_valued(legs, fetch_missing=fetch_missing, deadline=deadline)
    return valuations, _figures(trades, snapshot, today=clock.market_today())


def trades_figures(trades: Sequence[Trade], *, fetch_missing: bool) -> dict[int, TradeFigures]:
    """Each trade's figures, by id (the admin's: cache only unless `fetch_missing`)."""
    return trades_valued(trades, fetch_missing=fetch_missing)[1]


def _figures(
    trades: Sequence[Trade], snapshot: marketdata_services.MarketSnapshot, *, today: date
) -> dict[int, TradeFigures]:
    quotes = {ticker: quote.value for ticker, quote in snapshot.option_prices.items()}
    figures: dict[int, TradeFigures] = {}
    for trade in trades:
        stock = snapshot.stocks.get(trade.ticker.symbol)
        spot = float(stock.value["price"]) if stock is not None else None
        legs = [_figure_leg(leg, quotes.get(leg.option_ticker or ""), spot=spot) for leg in trade.legs.all()]
        found = trade_figures(legs, spot=spot, today=today, rate=settings.RISK_FREE_RATE)
        figures[trade.pk] = presentation.rounded(found)  # the API's rounding policy
    return figures
