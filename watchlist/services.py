"""Writes for tickers, watchlists and positions; views, admin and commands call these.

Every write validates through the model's `full_clean()` and runs in one transaction, so a
failure leaves no row behind (not even the Ticker a failed position would have created).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.deadline import Deadline
from marketdata import clock
from marketdata import services as marketdata_services
from marketdata import tasks as marketdata_tasks
from marketdata.exceptions import UnknownSymbol
from marketdata.models import RefreshCycle
from marketdata.symbols import normalize_symbol
from watchlist import selectors
from watchlist.models import (
    IMMUTABLE_MESSAGE,
    LEG_TO_TRADE_STRATEGY,
    POSITION_INPUT_FIELDS,
    Position,
    Ticker,
    Trade,
    TradeStrategy,
    WatchlistItem,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The error of a symbol an in-request refresh had no provider time left for.
BUDGET_SPENT = "budget_spent"
# Fields position_update may set; `ticker` arrives as a symbol (see position_update).
_UPDATABLE_FIELDS = frozenset(POSITION_INPUT_FIELDS)


def ticker_ensure_known(*, symbol: str) -> str:
    """Return the normalised symbol once it is known: a stored Ticker, or the provider says so.

    The spec's "Validate Ticker": a symbol mojo has not seen is checked upstream before any
    row is written. Raises InvalidSymbol (bad form, never sent), UnknownSymbol (the provider
    does not know it, or lists it as inactive), UnsupportedTickerType (a type outside
    MASSIVE_ACCEPTED_TICKER_TYPES) or ProviderUnavailable (it could not tell). Call it outside
    a transaction: it may wait on the provider.
    """
    symbol = normalize_symbol(symbol)
    if Ticker.objects.filter(symbol=symbol).exists():
        return symbol
    if not marketdata_services.ticker_validate(symbol, deadline=Deadline.for_request()):
        raise UnknownSymbol(f"The provider does not know the symbol {symbol}.", details={"symbol": symbol})
    return symbol


@transaction.atomic
def ticker_get_or_create(*, symbol: str) -> Ticker:
    """Return the Ticker for a known symbol, creating it when new; the only place Ticker rows are made.

    Raises InvalidSymbol when the symbol has no valid form. Callers check new symbols with
    `ticker_ensure_known` first.
    """
    symbol = normalize_symbol(symbol)
    existing = Ticker.objects.filter(symbol=symbol).first()
    if existing is not None:
        return existing
    # A concurrent request may create the same symbol between the check and here.
    ticker, _ = Ticker.objects.get_or_create(symbol=symbol)
    return ticker


def watchlist_add(*, user: User, symbol: str) -> tuple[WatchlistItem, bool]:
    """Put a symbol on the user's watchlist; return the item and whether it is new (idempotent)."""
    symbol = ticker_ensure_known(symbol=symbol)
    with transaction.atomic():
        ticker = ticker_get_or_create(symbol=symbol)
        return WatchlistItem.objects.get_or_create(owner=user, ticker=ticker)


@transaction.atomic
def watchlist_remove(*, user: User, symbol: str) -> None:
    """Take a symbol off the user's watchlist.

    Raises InvalidSymbol for a malformed symbol and WatchlistItem.DoesNotExist when the symbol
    is not on this user's watchlist.
    """
    symbol = normalize_symbol(symbol)
    item = WatchlistItem.objects.select_related("ticker").get(owner=user, ticker__symbol=symbol)
    ticker = item.ticker
    item.delete()
    if not WatchlistItem.objects.filter(ticker=ticker).exists():
        transaction.on_commit(functools.partial(_on_symbol_unwatched, symbol))


def _on_symbol_unwatched(symbol: str) -> None:
    """Drop the symbol's cached market data once nobody watches it (after the commit)."""
    marketdata_services.symbol_invalidate(symbol)


def position_open(
    *,
    user: User,
    symbol: str,
    instrument: str,
    quantity: int,
    entry_price: Decimal,
    strategy: str,
    option_ticker: str | None = None,
    multiplier: int | None = None,
    opened_at: datetime | None = None,
    closed_at: datetime | None = None,
    exit_price: Decimal | None = None,
    fees: Decimal = Decimal(0),
    notes: str = "",
) -> Position:
    """Record a position for the user as a one-leg trade; raise ValidationError (nothing saved) when invalid.

    The trade's strategy maps from the leg's (`pmcc_long`, `pmcc_short` → `pmcc`); the leg rules
    of `trade_open` do not apply (a position is validated as it always was).
    """
    symbol = ticker_ensure_known(symbol=symbol)  # may wait on the provider: outside the transaction
    with transaction.atomic():
        position = Position(
            owner=user,
            ticker=ticker_get_or_create(symbol=symbol),
            instrument=instrument,
            option_ticker=option_ticker,
            quantity=quantity,
            entry_price=entry_price,
            opened_at=opened_at or clock.now(),
            closed_at=closed_at,
            exit_price=exit_price,
            fees=fees,
            strategy=strategy,
            notes=notes,
        )
        if multiplier is not None:  # otherwise clean() sets the instrument's default
            position.multiplier = multiplier
        position.full_clean(exclude=["trade"])
        return position_save(position=position)


@transaction.atomic
def position_save(*, position: Position) -> Position:
    """Save a validated position (`position_open`, the admin's form): a new one opens a one-leg trade."""
    if position.trade_id is None:
        trade = Trade(
            owner=position.owner,
            ticker=position.ticker,
            strategy=LEG_TO_TRADE_STRATEGY.get(position.strategy, TradeStrategy.OTHER),
            opened_at=position.opened_at,
            closed_at=position.closed_at,
        )
        trade.full_clean()
        trade.save()
        position.trade = trade
    position.save()
    trade_dates_sync(position.trade)
    return position


@transaction.atomic
def position_update(*, position: Position, symbol: str | None = None, **fields: Any) -> Position:
    """Change a position's editable fields (closing it is setting closed_at and exit_price).

    instrument, ticker (`symbol`) and option_ticker may be passed but not changed: a different
    value is a ValidationError, and nothing is saved.
    """
    unknown = set(fields) - _UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"position_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if symbol is not None and normalize_symbol(symbol) != position.ticker.symbol:
        raise ValidationError({"ticker": IMMUTABLE_MESSAGE})
    for name, value in fields.items():
        setattr(position, name, value)
    position.full_clean()
    position.save()
    trade_dates_sync(position.trade)
    return position


@transaction.atomic
def position_delete(*, position: Position) -> None:
    """Delete a position (closed positions are better closed than deleted: they keep history).

    Its trade goes with its last leg; otherwise the trade's status follows the legs left.
    """
    trade = position.trade
    position.delete()
    if not trade.legs.exists():
        trade.delete()
    else:
        trade_dates_sync(trade)


def trade_dates_sync(trade: Trade) -> None:
    """A trade opens with its first leg and closes with its last (reopening when a leg reopens)."""
    legs = list(trade.legs.values_list("opened_at", "closed_at"))
    if not legs:
        return
    opened_at = min(opened for opened, _ in legs)
    closes = [closed for _, closed in legs]
    closed_at = None if any(at is None for at in closes) else max(at for at in closes if at is not None)
    if (opened_at, closed_at) != (trade.opened_at, trade.closed_at):
        trade.opened_at, trade.closed_at = opened_at, closed_at
        trade.full_clean()
        trade.save(update_fields=["opened_at", "closed_at"])


def market_data_refresh_selected(
    symbols: Sequence[str],
) -> RefreshCycle | list[marketdata_services.SymbolRefresh]:
    """Refresh `symbols` (everything, fresh or not): on the workers when one is alive, else here.

    With a live worker (its heartbeat) the symbols become one cycle (skipped when another
    runs). Without, each is refreshed in this process within the request's provider budget; a
    symbol the budget did not reach is returned with error "budget_spent".
    """
    if marketdata_services.workers_alive():
        return marketdata_tasks.refresh_cycle_enqueue(
            **selectors.refresh_request(symbols), force=True, only=list(marketdata_services.REFRESH_CHOICES)
        )
    deadline = Deadline.for_request()
    return [
        marketdata_services.SymbolRefresh(symbol=symbol, error=BUDGET_SPENT)
        if deadline.expired
        else marketdata_services.symbol_refresh(symbol, force=True, deadline=deadline)
        for symbol in symbols
    ]
