"""Database reads of watchlists, positions, trades and alerts: one owner's rows for the API, and
the cross-user sets (watched symbols, open contracts) the market-data refresh is given.

Reads only: nothing here calls a provider or the cache (valuations are `watchlist.portfolio`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from marketdata.history import BENCHMARK_SYMBOL
from marketdata.models import SymbolDetails
from marketdata.symbols import normalize_symbol
from watchlist.models import (
    Alert,
    Instrument,
    Position,
    PositionStatus,
    Ticker,
    Trade,
    TradeStatus,
    WatchlistItem,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User


def refresh_request(tickers: Sequence[str] = ()) -> dict[str, Any]:
    """What a refresh of market data covers: `tickers`, or every watched symbol, and open contracts.

    Without `tickers`, the stored history of open positions' underlyings and of the benchmark
    is kept too. The keyword arguments of `market_data_refresh` and `refresh_cycle_enqueue`.
    """
    return {
        "symbols": list(tickers) or watched_symbols(),
        "contracts": open_option_contracts(underlyings=list(tickers) or None),
        "history_also": [] if tickers else [*open_position_symbols(), BENCHMARK_SYMBOL],
    }


def ticker_name(path: str = "") -> Coalesce:
    """A ticker's name as shown: the one typed in the admin, else the provider's (its ticker details).

    `path` leads from the queried model to the Ticker (`"ticker__"` from a watchlist item).
    """
    provider = SymbolDetails.objects.filter(symbol=OuterRef(f"{path}symbol")).values("name")[:1]
    return Coalesce(NullIf(f"{path}name", Value("")), Subquery(provider), Value(""), output_field=CharField())


def watchlist_for(user: User) -> QuerySet[WatchlistItem]:
    """Return the user's watchlist, alphabetical, with each ticker loaded and its name as shown."""
    items = WatchlistItem.objects.filter(owner=user).select_related("ticker")
    return items.annotate(ticker_name=ticker_name("ticker__")).order_by("ticker__symbol")


def positions_for(
    user: User,
    *,
    ticker: str | None = None,
    strategy: str | None = None,
    status: str | None = None,
) -> QuerySet[Position]:
    """Return the user's positions, newest first, optionally one symbol, strategy or status.

    Raises InvalidSymbol when `ticker` is malformed; `status` is `open` or `closed`.
    """
    positions = Position.objects.filter(owner=user).select_related("ticker", "trade")
    if ticker is not None:
        positions = positions.filter(ticker__symbol=normalize_symbol(ticker))
    if strategy is not None:
        positions = positions.filter(strategy=strategy)
    if status is not None:
        if status not in PositionStatus.values:
            raise ValueError(f"status is 'open' or 'closed', not {status!r}")
        positions = positions.filter(closed_at__isnull=status == PositionStatus.OPEN)
    return positions.order_by("-opened_at", "-id")


def watched_symbols() -> list[str]:
    """Return every symbol on at least one watchlist, alphabetical."""
    watched = Ticker.objects.filter(watchlist_items__isnull=False).distinct()
    return list(watched.order_by("symbol").values_list("symbol", flat=True))


def open_position_symbols() -> list[str]:
    """Return every symbol with an open position (stock or option underlying), alphabetical."""
    held = Ticker.objects.filter(positions__closed_at__isnull=True).distinct()
    return list(held.order_by("symbol").values_list("symbol", flat=True))


def open_option_contracts(*, underlyings: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Return (underlying symbol, option ticker) for every open option position, each pair once.

    `underlyings` keeps only the contracts on those (normalised) symbols.
    """
    open_options = Position.objects.filter(instrument=Instrument.OPTION, closed_at__isnull=True)
    if underlyings is not None:
        open_options = open_options.filter(ticker__symbol__in=list(underlyings))
    rows = (
        open_options.order_by("ticker__symbol", "option_ticker")
        .values_list("ticker__symbol", "option_ticker")
        .distinct()
    )
    return [(symbol, option_ticker) for symbol, option_ticker in rows if option_ticker]


def shares_held(user: AbstractBaseUser | AnonymousUser, symbol: str) -> int:
    """Return the user's net shares of `symbol` in open stock positions (negative when short)."""
    if not user.is_authenticated:
        return 0
    total = Position.objects.filter(
        owner_id=user.pk,
        ticker__symbol=normalize_symbol(symbol),
        instrument=Instrument.STOCK,
        closed_at__isnull=True,
    ).aggregate(total=Sum("quantity"))["total"]
    return int(total or 0)


def watched_symbols_for(user: User) -> list[str]:
    """Return the symbols on the user's watchlist, alphabetical."""
    return list(
        WatchlistItem.objects.filter(owner=user)
        .order_by("ticker__symbol")
        .values_list("ticker__symbol", flat=True)
    )


def trades_for(
    user: User,
    *,
    status: str | None = None,
    strategy: str | None = None,
    underlying: str | None = None,
) -> QuerySet[Trade]:
    """Return the user's trades, newest first, with their legs; optionally one status, strategy or underlying.

    Raises InvalidSymbol when `underlying` is malformed.
    """
    trades = Trade.objects.filter(owner=user).select_related("ticker").prefetch_related("legs__ticker")
    if status is not None:
        trades = trades.filter(closed_at__isnull=status == TradeStatus.OPEN)
    if strategy is not None:
        trades = trades.filter(strategy=strategy)
    if underlying is not None:
        trades = trades.filter(ticker__symbol=normalize_symbol(underlying))
    return trades.order_by("-opened_at", "-id")


def alerts_for(user: User, *, dismissed: bool | None = None, active: bool | None = None) -> QuerySet[Alert]:
    """The user's alerts, newest first, with their trade and deliveries."""
    found = Alert.objects.filter(owner=user).select_related("trade__ticker").prefetch_related("deliveries")
    if dismissed is not None:
        found = found.filter(dismissed_at__isnull=not dismissed)
    if active is not None:
        found = found.filter(cleared_at__isnull=active)
    return found


def alerts_open_for(user: User) -> QuerySet[Alert]:
    """The dashboard's: not dismissed, on trades still open (cleared ones too, until dismissed)."""
    return alerts_for(user, dismissed=False).filter(trade__closed_at__isnull=True)
