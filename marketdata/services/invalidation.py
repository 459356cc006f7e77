"""Invalidation: delete a symbol's cached market data (root rule for its option prices), or all of it."""

from __future__ import annotations

from core.errors import MojoError
from marketdata import cache, datasets, occ
from marketdata.symbols import normalize_symbol, option_root


def symbol_invalidate(ticker: str) -> int:
    """Delete every key of a symbol — stock, options, earnings and its option prices; return the count."""
    symbol = normalize_symbol(ticker)
    root = option_root(symbol)
    price_keys = []
    prefix_len = len(cache.option_price_cache_key(""))
    for key in cache.keys_matching(cache.option_price_key_pattern(root)):
        try:
            parsed = occ.parse(key[prefix_len:])
        except MojoError:
            continue
        # The glob is coarse (A's pattern also matches A1…); the root rule decides.
        if occ.root_belongs_to(parsed.root, symbol):
            price_keys.append(key)
    keys = [dataset.key(symbol) for dataset in datasets.DATASETS if dataset.per_symbol]
    return cache.delete_keys([*keys, *price_keys])


def market_data_invalidate_all() -> int:
    """Delete every market-data key; return the count."""
    keys = cache.keys_matching(f"{cache.KEY_PREFIX}*")
    return cache.delete_keys([*keys, cache.last_refresh_key()])
