"""A trade's figures (`marketdata.trade_figures`) and management signals (`marketdata.trade_rules`).

One cache round trip for every trade asked, the same read the legs' valuations come from: the
underlyings' prices and earnings dates, and the open contracts' quotes, IVs and greeks (the
provider's; a leg without them leaves the greeks it would add, and its model value, unknown).
Dividends come from the database: the declared upcoming ones (the early-assignment rule reads
them) and those the model values legs outliving the horizon with (declared, then projected).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from marketdata import clock, presentation
from marketdata.domain import OptionSnapshot
from marketdata.reference import dividend_schedules_many, dividends_upcoming_many
from marketdata.services.snapshot import MarketSnapshot
from marketdata.trade_figures import FigureLeg, TradeFigures, trade_figures
from marketdata.trade_rules import TradeSignal, trade_signals
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


@dataclass(frozen=True, slots=True)
class TradeInputs:
    """What a trade's figures were computed from: its legs as read, the spot, expected dividends."""

    legs: list[FigureLeg]
    spot: float | None
    dividends: Sequence[tuple[date, float]]


@dataclass(frozen=True, slots=True)
class TradesAssessed:
    """Every leg's valuation (by position id), and each trade's figures and signals (by trade id)."""

    valuations: dict[int, Valuation]
    figures: dict[int, TradeFigures]
    signals: dict[int, list[TradeSignal]]
    # Trades whose every rule had its inputs (spot, each live option leg's mark, known earnings):
    # only for these does a signal's absence mean it stopped firing, not that data was missing.
    fully_read: set[int]
    inputs: dict[int, TradeInputs]
    snapshot: MarketSnapshot  # what the cache read gave (errors included)


def trades_assessed(
    trades: Sequence[Trade],
    *,
    fetch_missing: bool,
    deadline: Deadline | None = None,
    symbols: Iterable[str] = (),
) -> TradesAssessed:
    """Valuations, figures and signals of `trades`, from one cache read and one dividends query.

    Cache only unless `fetch_missing` (the API fetches what is missing within its deadline;
    the admin and the refresh's alert evaluation read what the cycle has cached). `symbols`
    are read in that round trip too, into `snapshot` (the dashboard's watchlist).
    """
    legs = [leg for trade in trades for leg in trade.legs.all()]
    valuations, snapshot = portfolio.positions_valued(
        legs, fetch_missing=fetch_missing, deadline=deadline, symbols=symbols
    )
    today = clock.market_today()
    open_symbols = {trade.ticker.symbol for trade in trades if trade.closed_at is None}
    # Declared dividends for the early-assignment rule; declared then projected for the model values.
    dividends = dividends_upcoming_many(open_symbols, today=today) if open_symbols else {}
    last_expiration = max((leg.expiration for leg in legs if leg.expiration is not None), default=today)
    expected = (
        dividend_schedules_many(open_symbols, today=today, until=last_expiration) if open_symbols else {}
    )
    inputs = _inputs(trades, snapshot, expected)
    figures: dict[int, TradeFigures] = {}
    signals: dict[int, list[TradeSignal]] = {}
    fully_read: set[int] = set()
    for trade in trades:
        symbol, read = trade.ticker.symbol, inputs[trade.pk]
        found = trade_figures(
            read.legs, spot=read.spot, today=today, rate=settings.RISK_FREE_RATE, dividends=read.dividends
        )
        figures[trade.pk] = presentation.rounded(found)  # the API's rounding policy
        earnings = snapshot.earnings.get(symbol)
        known = earnings is not None and earnings.status != "unknown"
        if _fully_read(read.legs, spot=read.spot, earnings_known=known, today=today):
            fully_read.add(trade.pk)
        signals[trade.pk] = (
            trade_signals(
                read.legs,
                spot=read.spot,
                pct_of_max_profit=found["pct_of_max_profit"],
                earnings=earnings.upcoming if earnings is not None else [],
                dividends=dividends.get(symbol, []),
                today=today,
                thresholds=settings.TRADE_RULES,
            )
            if trade.closed_at is None
            else []
        )
    return TradesAssessed(valuations, figures, signals, fully_read, inputs, snapshot)


def _inputs(
    trades: Sequence[Trade],
    snapshot: MarketSnapshot,
    expected: Mapping[str, Sequence[tuple[date, float]]],
) -> dict[int, TradeInputs]:
    """Each trade's legs as the figures read them, its underlying's spot and expected dividends."""
    quotes = {ticker: quote.value for ticker, quote in snapshot.option_prices.items()}
    inputs: dict[int, TradeInputs] = {}
    for trade in trades:
        stock = snapshot.stocks.get(trade.ticker.symbol)
        spot = float(stock.value["price"]) if stock is not None else None
        legs = [_figure_leg(leg, quotes.get(leg.option_ticker or ""), spot=spot) for leg in trade.legs.all()]
        inputs[trade.pk] = TradeInputs(legs, spot, expected.get(trade.ticker.symbol, ()))
    return inputs


def _fully_read(legs: Sequence[FigureLeg], *, spot: float | None, earnings_known: bool, today: date) -> bool:
    live = [leg for leg in legs if leg.kind != "stock" and leg.is_open and (leg.expiration or today) >= today]
    return spot is not None and earnings_known and all(leg.mark is not None for leg in live)


def trades_figures(trades: Sequence[Trade], *, fetch_missing: bool) -> dict[int, TradeFigures]:
    """Each trade's figures, by id (the admin's: cache only unless `fetch_missing`)."""
    return trades_assessed(trades, fetch_missing=fetch_missing).figures
