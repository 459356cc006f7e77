"""Market-data services: the only thing views, admin actions, commands and tasks call.

One module per data set or job; this package re-exports them, so callers write
`services.stock_data_get(...)` whichever module it lives in.

Each service validates its symbol (nothing unvalidated reaches a key or a provider), reads
through `marketdata.cache` (freshness, stale-if-error, single-flight) and fetches with the
provider clients. Payloads hold only what the API needs; indicators and chain analytics are
computed once, when data is fetched, so a cached read never computes them again.
"""

from marketdata.history import (
    BENCHMARK_SYMBOL,
    HistorySync,
    history_bars,
    history_bars_many,
    history_forget,
    history_splits_check,
    history_store,
    history_stored_through,
    history_sync,
    history_with_today,
    session_closes,
)
from marketdata.services.betas import betas_get
from marketdata.services.bulk import BulkRead, cached_many
from marketdata.services.cycles import refresh_cycle_inline, refresh_cycle_wait, workers_alive
from marketdata.services.earnings import EarningsInfo, earnings_get, earnings_overview
from marketdata.services.invalidation import market_data_invalidate_all, symbol_invalidate
from marketdata.services.iv_history import iv_ranks_get, iv_snapshot_record, iv_stats_get
from marketdata.services.meta import meta_of
from marketdata.services.option_prices import (
    occ_mismatch,
    option_contract,
    option_price_get,
    option_quote,
    underlying_of,
    with_price,
)
from marketdata.services.options import (
    ChainFilter,
    chain_analyse,
    chain_contracts,
    chain_signal_counts,
    options_chain_get,
    options_overview,
    signals_overview,
)
from marketdata.services.reference import ticker_validate
from marketdata.services.refresh import (
    REFRESH_CHOICES,
    RefreshReport,
    SymbolRefresh,
    last_refresh_get,
    last_refresh_record,
    market_data_refresh,
    option_prices_refresh,
    symbol_refresh,
    symbol_refresh_lock,
)
from marketdata.services.snapshot import NO_STOCK_SUMMARY, MarketSnapshot, market_snapshot_get, stock_summary
from marketdata.services.stock_refresh import stocks_refresh
from marketdata.services.stocks import (
    BatchResult,
    close_on_or_before,
    stock_bar_history,
    stock_bars,
    stock_bars_get,
    stock_data_get,
    stock_data_get_many,
    stock_overview,
)

__all__ = [
    "BENCHMARK_SYMBOL",
    "NO_STOCK_SUMMARY",
    "REFRESH_CHOICES",
    "BatchResult",
    "BulkRead",
    "ChainFilter",
    "EarningsInfo",
    "HistorySync",
    "MarketSnapshot",
    "RefreshReport",
    "SymbolRefresh",
    "betas_get",
    "cached_many",
    "chain_analyse",
    "chain_contracts",
    "chain_signal_counts",
    "close_on_or_before",
    "earnings_get",
    "earnings_overview",
    "history_bars",
    "history_bars_many",
    "history_forget",
    "history_splits_check",
    "history_store",
    "history_stored_through",
    "history_sync",
    "history_with_today",
    "iv_ranks_get",
    "iv_snapshot_record",
    "iv_stats_get",
    "last_refresh_get",
    "last_refresh_record",
    "market_data_invalidate_all",
    "market_data_refresh",
    "market_snapshot_get",
    "meta_of",
    "occ_mismatch",
    "option_contract",
    "option_price_get",
    "option_prices_refresh",
    "option_quote",
    "options_chain_get",
    "options_overview",
    "refresh_cycle_inline",
    "refresh_cycle_wait",
    "session_closes",
    "signals_overview",
    "stock_bar_history",
    "stock_bars",
    "stock_bars_get",
    "stock_data_get",
    "stock_data_get_many",
    "stock_overview",
    "stock_summary",
    "stocks_refresh",
    "symbol_invalidate",
    "symbol_refresh",
    "symbol_refresh_lock",
    "ticker_validate",
    "underlying_of",
    "with_price",
    "workers_alive",
]
