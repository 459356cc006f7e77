"""Tickers, watchlists, positions (the legs), the trades that group them, and their alerts.

Every invariant the database can express is a `Meta.constraints` entry; `full_clean()` checks
them too (Django validates constraints), and `Position.validate_constraints` files each failure
under the field it concerns. `clean()` holds only what SQL cannot say. Admin and services both
go through `full_clean()`, so the rules live here once.
"""

from watchlist.models.alerts import (
    WEBHOOK_URL_MAX_LENGTH,
    Alert,
    AlertChannel,
    AlertCode,
    AlertDelivery,
    AlertSettings,
    DeliveryStatus,
)
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
    "WEBHOOK_URL_MAX_LENGTH",
    "Alert",
    "AlertChannel",
    "AlertCode",
    "AlertDelivery",
    "AlertSettings",
    "DeliveryStatus",
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
