"""Cache keys: one named function per data set, exactly the spec's names (no ":1:" prefix)."""

from __future__ import annotations

STOCK = "stock"
BARS = "bars"
OPTIONS = "options"
OPTIONS_SUMMARY = "options_summary"
OPTION_PRICE = "option_price"
EARNINGS = "earnings"

KEY_PREFIX = "finance:cache:"
LAST_REFRESH_KEY = "finance:last_refresh"


def stock_cache_key(symbol: str) -> str:
    """Key of a symbol's stock data (price, indicators, bars)."""
    return f"{KEY_PREFIX}{STOCK}:{symbol}"


def bars_cache_key(symbol: str) -> str:
    """Key of a symbol's daily bars (written with its stock data; read only for charts)."""
    return f"{KEY_PREFIX}{BARS}:{symbol}"


def options_summary_cache_key(symbol: str) -> str:
    """Key of a chain's summary (spot, ATM IV, signal counts), written with the chain."""
    return f"{KEY_PREFIX}{OPTIONS_SUMMARY}:{symbol}"


def options_cache_key(symbol: str) -> str:
    """Key of a symbol's filtered options chain."""
    return f"{KEY_PREFIX}{OPTIONS}:{symbol}"


def option_price_cache_key(option_ticker: str) -> str:
    """Key of one option contract's price snapshot."""
    return f"{KEY_PREFIX}{OPTION_PRICE}:{option_ticker}"


def earnings_cache_key(symbol: str) -> str:
    """Key of a symbol's upcoming earnings dates."""
    return f"{KEY_PREFIX}{EARNINGS}:{symbol}"


def earnings_lookup_cache_key(symbol: str) -> str:
    """Key of a symbol's per-symbol earnings answer, kept a week for symbols the calendar lacks (funds)."""
    return f"{KEY_PREFIX}earnings_lookup:{symbol}"


def last_refresh_key() -> str:
    """Key of the time of the last refresh run (ISO UTC)."""
    return LAST_REFRESH_KEY


def option_price_key_pattern(root: str) -> str:
    """Glob matching option-price keys whose root is `root` or `root` plus one digit."""
    return f"{KEY_PREFIX}{OPTION_PRICE}:O:{root}[0-9]*"


def splits_checked_key() -> str:
    """Key of the New York date of the day's market-wide splits check (made once a day)."""
    return "finance:splits_checked_on"


def worker_heartbeat_key(worker: str) -> str:
    """Key saying a Celery worker (its node name) is alive; it expires when the worker stops beating."""
    return f"finance:workers:{worker}"


def entitlement_key(endpoint: str) -> str:
    """Key remembering that the provider's plan lacks `endpoint` (a data-set-independent fact)."""
    return f"finance:entitlement:{endpoint}"


def dividends_market_pages_key() -> str:
    """Key of how many pages the last market-wide dividends answer took (what asking so costs)."""
    return "finance:dividends:market_pages"


def lock_key(key: str) -> str:
    """Key of the single-flight lock guarding the fetch of `key`."""
    return f"finance:lock:{key}"
