"""Reference data through the services: validating a new symbol, and the refresh's part.

Validation: does the symbol exist, does it trade, is it a kind mojo serves? The
ticker-details endpoint answers all three in one call, and its answer is stored
(`marketdata.reference`). On a plan without ticker details the symbol is validated as before
ticker details existed: it is known when it has daily bars in the last week (any type passes).

The refresh (`reference_refresh`) fetches the details of symbols that have none and the day's
dividends, and says whose stock data must be computed again to show them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings

from core.deadline import Deadline
from marketdata import clock, market_hours
from marketdata.clients import get_massive_client
from marketdata.entitlements import entitled_or
from marketdata.exceptions import TickerNotFound, UnsupportedTickerType
from marketdata.reference import (
    TICKER_DETAILS,
    dividends_sync,
    dividends_upcoming_many,
    ticker_details_ensure,
    ticker_details_many,
    ticker_details_store,
)
from marketdata.symbols import normalize_symbol

logger = logging.getLogger(__name__)

VALIDATION_DAYS = 7  # spec §4: without ticker details, a symbol is known when it has bars in the last week


def ticker_validate(ticker: str, *, deadline: Deadline | None = None) -> bool:
    """Ask the provider whether a well-formed symbol exists and trades; store what it is.

    False for a symbol the provider does not know or lists as inactive. Raises
    UnsupportedTickerType for a type outside MASSIVE_ACCEPTED_TICKER_TYPES, and
    ProviderUnavailable (or another ProviderError) when the provider cannot tell.
    """
    symbol = normalize_symbol(ticker)
    return entitled_or(
        TICKER_DETAILS,
        lambda: _validate_by_details(symbol, deadline=deadline),
        lambda: _validate_by_bars(symbol, deadline=deadline),
    )


def _validate_by_details(symbol: str, *, deadline: Deadline | None) -> bool:
    try:
        details = get_massive_client().get_ticker_details(symbol, deadline=deadline)
    except TickerNotFound:
        return False
    if not details.active:
        return False
    accepted = [code.strip().upper() for code in settings.MASSIVE_ACCEPTED_TICKER_TYPES if code.strip()]
    if (details.type or "").upper() not in accepted:
        kind = f"a {details.type}" if details.type else "a security with no type"
        raise UnsupportedTickerType(
            f"The provider lists {symbol} as {kind}; mojo serves {', '.join(accepted)}.",
            details={"symbol": symbol, "type": details.type, "accepted": accepted},
        )
    ticker_details_store({symbol: details}, now=clock.now())
    return True


def _validate_by_bars(symbol: str, *, deadline: Deadline | None) -> bool:
    logger.warning(
        "validating %s by its last week of bars: the provider's plan lacks ticker details",
        symbol,
        extra={"symbol": symbol, "endpoint": TICKER_DETAILS},
    )
    today = clock.market_today()
    try:
        bars = get_massive_client().get_daily_bars(
            symbol, today - timedelta(days=VALIDATION_DAYS), today, deadline=deadline
        )
    except TickerNotFound:
        return False
    return bool(bars)


def reference_refresh(symbols: Sequence[str], *, now: datetime, concurrency: int | None = None) -> set[str]:
    """Ticker details of the symbols that have none, and their due dividends; whose changed.

    Dividends are asked once a day outside the session (the pre-open or after-close cycle),
    so the session's cycles (the open's, when every chain expires, above all) carry no extra
    market-wide call; in session only symbols not checked since yesterday are asked. Returns
    the symbols whose name, type or upcoming dividends changed: their stock data shows them.
    Failures are logged, never raised (the next refresh asks again).
    """
    today = market_hours.market_date(now)
    known = set(ticker_details_many(symbols))
    for symbol, error in ticker_details_ensure(
        [s for s in symbols if s not in known], concurrency=concurrency
    ).items():
        logger.info("ticker details of %s not fetched: %s", symbol, error.code)
    before = dividends_upcoming_many(symbols, today=today)
    in_session = market_hours.is_open(now)
    synced = dividends_sync(
        symbols,
        today=today,
        checked_since=today - timedelta(days=1) if in_session else today,
        concurrency=concurrency,
    )
    for symbol, error in synced.errors.items():
        logger.info("dividends of %s not brought up to date: %s", symbol, error.code)
    after = dividends_upcoming_many(synced.due, today=today) if synced.stored or synced.due else {}
    changed = {s for s in synced.due if after.get(s, []) != before.get(s, [])}
    return changed | (set(ticker_details_many(symbols)) - known)
