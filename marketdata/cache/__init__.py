"""The market-data cache: named keys, entries, the in-process layer, Redis failing open, single-flight.

Every key comes from a function in `keys` (one per data set, exactly the spec's names).
Callers never talk to Redis: `get_or_fetch` owns freshness, stale retention, single-flight,
the "unknown symbol" memory and metrics; `read_many` gives hot paths one round trip.
Redis failures never fail a request: reads miss, writes are skipped, locks are skipped.

    keys.py          key functions and data-set names
    entries.py       Entry (payload, fetched at, fresh until) and its stored form; Cached
    local.py         decoded entries kept in-process for MARKETDATA_LOCAL_CACHE_SECONDS
    store.py         reads and writes through django-redis, failing open
    singleflight.py  locks, get_or_fetch and get_or_fetch_many
"""

from marketdata.cache.entries import Cached, Entry
from marketdata.cache.keys import (
    BARS,
    EARNINGS,
    KEY_PREFIX,
    OPTION_PRICE,
    OPTIONS,
    OPTIONS_SUMMARY,
    STOCK,
    bars_cache_key,
    dividends_market_pages_key,
    earnings_cache_key,
    earnings_lookup_cache_key,
    entitlement_key,
    last_refresh_key,
    option_price_cache_key,
    option_price_key_pattern,
    options_cache_key,
    options_summary_cache_key,
    splits_checked_key,
    stock_cache_key,
    worker_heartbeat_key,
)
from marketdata.cache.local import local_entries
from marketdata.cache.singleflight import (
    LOCK_TTL,
    UNREAD,
    Lock,
    get_or_fetch,
    get_or_fetch_many,
    try_lock,
)
from marketdata.cache.store import delete_keys, get_value, keys_matching, read, read_many, set_value, write

__all__ = [
    "BARS",
    "EARNINGS",
    "KEY_PREFIX",
    "LOCK_TTL",
    "OPTIONS",
    "OPTIONS_SUMMARY",
    "OPTION_PRICE",
    "STOCK",
    "UNREAD",
    "Cached",
    "Entry",
    "Lock",
    "bars_cache_key",
    "delete_keys",
    "dividends_market_pages_key",
    "earnings_cache_key",
    "earnings_lookup_cache_key",
    "entitlement_key",
    "get_or_fetch",
    "get_or_fetch_many",
    "get_value",
    "keys_matching",
    "last_refresh_key",
    "local_entries",
    "option_price_cache_key",
    "option_price_key_pattern",
    "options_cache_key",
    "options_summary_cache_key",
    "read",
    "read_many",
    "set_value",
    "splits_checked_key",
    "stock_cache_key",
    "try_lock",
    "worker_heartbeat_key",
    "write",
]
