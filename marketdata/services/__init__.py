"""Market-data services: the only thing views, admin actions, commands and tasks call.

One module per data set or job; this package re-exports them, so callers write
`services.get_stock_data(...)` whichever module it lives in.

Each service validates its symbol (nothing unvalidated reaches a key or a provider), reads
through `marketdata.cache` (freshness, stale-if-error, single-flight) and fetches with the
provider clients. Payloads hold only what the API needs; indicators and chain analytics are
computed once, when data is fetched, so a cached read never computes them again.
"""

from marketdata.services.bulk import BulkRead, cached_many
from marketdata.services.earnings import EarningsInfo, earnings_overview, get_earnings
from marketdata.services.invalidation import invalidate_all, invalidate_symbol
from marketdata.services.iv_history import iv_context, iv_ranks, record_iv_snapshot
from marketdata.services.meta import meta_of
from marketdata.services.option_prices import (
    get_option_price,
    occ_mismatch,
    option_contract,
    option_quote,
    underlying_of,
    with_price,
)
from marketdata.services.options import (
    ChainFilter,
    analyse_chain,
    chain_contracts,
    get_options_chain,
    options_overview,
    signals_overview,
)
from marketdata.services.refresh import (
    REFRESH_CHOICES,
    RefreshReport,
    SymbolRefresh,
    last_refresh,
    record_last_refresh,
    refresh_lock,
    refresh_market_data,
    refresh_option_price,
    refresh_symbol,
)
from marketdata.services.snapshot import SUMMARY_FIELDS, MarketSnapshot, market_snapshot, stock_summary
from marketdata.services.stocks import (
    BatchResult,
    close_on_or_before,
    get_many_stock_data,
    get_stock_bars,
    get_stock_data,
    stock_bar_history,
    stock_bars,
    stock_overview,
    validate_ticker,
)

__all__ = [
    "REFRESH_CHOICES",
    "SUMMARY_FIELDS",
    "BatchResult",
    "BulkRead",
    "ChainFilter",
    "EarningsInfo",
    "MarketSnapshot",
    "RefreshReport",
    "SymbolRefresh",
    "analyse_chain",
    "cached_many",
    "chain_contracts",
    "close_on_or_before",
    "earnings_overview",
    "get_earnings",
    "get_many_stock_data",
    "get_option_price",
    "get_options_chain",
    "get_stock_bars",
    "get_stock_data",
    "invalidate_all",
    "invalidate_symbol",
    "iv_context",
    "iv_ranks",
    "last_refresh",
    "market_snapshot",
    "meta_of",
    "occ_mismatch",
    "option_contract",
    "option_quote",
    "options_overview",
    "record_iv_snapshot",
    "record_last_refresh",
    "refresh_lock",
    "refresh_market_data",
    "refresh_option_price",
    "refresh_symbol",
    "signals_overview",
    "stock_bar_history",
    "stock_bars",
    "stock_overview",
    "stock_summary",
    "underlying_of",
    "validate_ticker",
    "with_price",
]
