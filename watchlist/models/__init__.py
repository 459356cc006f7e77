"""Tickers, watchlists, positions (the legs) and the trades that group them.

Every invariant the database can express is a `Meta.constraints` entry; `full_clean()` checks
them too (Django validates constraints), and `Position.validate_constraints` files each failure
under the field it concerns. `clean()` holds only what SQL cannot say. Admin and services both
go through `full_clean()`, so the rules live here once.
"""

from watchlist.models.positions import (
    DEFAULT_OPTION_MULTIPLIER,
    IMMUTABLE_FIELDS,
    IMMUTABLE_MESSAGE,
    OPTION_STRATEGIES,
    OPTION_TICKER_MAX_LENGTH,
    POSITION_INPUT_FIELDS,
    PRICE_DECIMAL_PLACES,
    PRICE_MAX_DIGITS,
    SYMBOL_MAX_LENGTH,
    Instrument,
    Position,
    PositionStatus,
    Strategy,
    Ticker,
    WatchlistItem,
)
from watchlist.models.trades import LEG_TO_TRADE_STRATEGY, Trade, TradeStatus, TradeStrategy

__all__ = [
    "DEFAULT_OPTION_MULTIPLIER",
    "IMMUTABLE_FIELDS",
    "IMMUTABLE_MESSAGE",
    "LEG_TO_TRADE_STRATEGY",
    "OPTION_STRATEGIES",
    "OPTION_TICKER_MAX_LENGTH",
    "POSITION_INPUT_FIELDS",
    "PRICE_DECIMAL_PLACES",
    "PRICE_MAX_DIGITS",
    "SYMBOL_MAX_LENGTH",
    "Instrument",
    "Position",
    "PositionStatus",
    "Strategy",
    "Ticker",
    "Trade",
    "TradeStatus",
    "TradeStrategy",
    "WatchlistItem",
]
