"""Market-data services: the only thing views, admin actions and commands call.

Each service validates its symbol (nothing unvalidated reaches a key or a provider), reads
through `marketdata.cache` (freshness, stale-if-error, single-flight) and fetches with the
provider clients. Payloads hold only what the API needs; indicators and chain analytics are
computed once, when data is fetched, so a cached read never computes them again.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections

from marketdata import cache, clock, indicators, market_hours, occ, option_analytics, strategies
from marketdata.cache import Cached
from marketdata.clients import get_fmp_client, get_massive_client
from marketdata.clients.deadline import Deadline
from marketdata.domain import DailyBar, OptionSnapshot, bars_from_columns, bars_to_columns
from marketdata.exceptions import (
    EarningsUnavailable,
    InvalidOptionTicker,
    MojoError,
    ProviderError,
    TickerNotFound,
)
from marketdata.models import IVSnapshot
from marketdata.symbols import normalize_symbol, option_root

logger = logging.getLogger(__name__)

# ≥ 400 sessions, so SMA200 and 52-week figures exist for any listed stock.
BARS_CALENDAR_DAYS = 730
SHORT_WINDOW_DAYS = (0, 60)  # calls and puts: CSP, covered calls, PMCC short legs
LONG_WINDOW_DAYS = (365, 900)  # calls only: LEAPS and PMCC long legs
IV_HISTORY_SESSIONS = 252


def _long_ttl(_: datetime) -> int:
    return market_hours.LONG_TTL


J = TypeVar("J")
R = TypeVar("R")


def _pooled(function: Callable[[J], R], jobs: Sequence[J], *, workers: int, name: str) -> Iterator[R]:
    """Run `function` over `jobs` in a bounded thread pool; yield results as each completes.

    Each worker closes its database connections after a job (threads get their own).
    """

    def job(item: J) -> R:
        try:
            return function(item)
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix=name) as pool:
        for future in as_completed([pool.submit(job, item) for item in jobs]):
            yield future.result()


# --- Stock data ------------------------------------------------------------------------------------
def _stock_payload(symbol: str, bars: Sequence[DailyBar]) -> dict[str, Any]:
    latest = bars[-1]
    previous = bars[-2] if len(bars) > 1 else None
    change = latest.close - previous.close if previous else None
    return {
        "symbol": symbol,
        "price": latest.close,
        "change": round(change, 4) if change is not None else None,
        "change_percent": round(100 * change / previous.close, 4)
        if previous and change is not None
        else None,
        "session": latest.session.isoformat(),
        "bars_from": bars[0].session.isoformat(),
        "bars_to": latest.session.isoformat(),
        "indicators": indicators.compute_indicators(bars),
    }


def _fetch_daily_bars(symbol: str, *, deadline: Deadline | None) -> list[DailyBar]:
    today = clock.market_today()
    bars = get_massive_client().get_daily_bars(
        symbol, today - timedelta(days=BARS_CALENDAR_DAYS), today, deadline=deadline
    )
    if not bars:
        raise TickerNotFound(details={"symbol": symbol})
    return bars


def _store_companion(key: str, value: Any) -> None:
    """Write the other half of one bars fetch (stock data or bars) with the same lifetime."""
    at = clock.now()
    ttl = market_hours.quote_ttl(at)
    cache.write(key, cache.Entry(value, at.timestamp(), at.timestamp() + ttl), fresh_ttl=ttl)


def get_stock_data(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, Any]]:
    """Return a symbol's price, change and indicators from ~2 years of daily bars.

    The bars themselves go to their own key in the same fetch: every cached read of stock
    data (stock endpoint, dashboard) then decodes a small entry, and only charts read bars.
    """
    symbol = normalize_symbol(ticker)

    def fetch() -> dict[str, Any]:
        bars = _fetch_daily_bars(symbol, deadline=deadline)
        _store_companion(cache.bars_cache_key(symbol), bars_to_columns(bars))
        return _stock_payload(symbol, bars)

    return cache.get_or_fetch(
        key=cache.stock_cache_key(symbol),
        dataset=cache.STOCK,
        fetch=fetch,
        fresh_ttl=market_hours.quote_ttl,
        force=force_refresh,
        deadline=deadline,
        entry=entry,
        remember_unknown=True,
    )


def get_stock_bars(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, list[Any]]]:
    """Return the daily bars (column-wise) the stock data was computed from."""
    symbol = normalize_symbol(ticker)

    def fetch() -> dict[str, list[Any]]:
        bars = _fetch_daily_bars(symbol, deadline=deadline)
        _store_companion(cache.stock_cache_key(symbol), _stock_payload(symbol, bars))
        return bars_to_columns(bars)

    return cache.get_or_fetch(
        key=cache.bars_cache_key(symbol),
        dataset=cache.BARS,
        fetch=fetch,
        fresh_ttl=market_hours.quote_ttl,
        force=force_refresh,
        deadline=deadline,
        entry=entry,
        remember_unknown=True,
    )


def stock_bars(columns: Mapping[str, list[Any]], *, days: int | None = None) -> list[DailyBar]:
    """Typed bars from a bars entry, optionally only the last `days` calendar days."""
    bars = bars_from_columns(dict(columns))
    if days is not None and bars:
        start = bars[-1].session - timedelta(days=days)
        bars = [bar for bar in bars if bar.session > start]
    return bars


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-symbol results and errors of a batch read; errors never fail the batch."""

    results: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def get_many_stock_data(
    tickers: Iterable[str], *, deadline: Deadline | None = None, concurrency: int | None = None
) -> BatchResult:
    """Stock data for many symbols: one cache round trip for hits, a bounded pool for misses."""
    batch = BatchResult()
    symbols: list[str] = []
    for raw in tickers:
        try:
            symbols.append(normalize_symbol(raw))
        except MojoError as error:
            batch.errors[str(raw)] = error
    symbols = list(dict.fromkeys(symbols))
    entries = cache.read_many(cache.stock_cache_key(symbol) for symbol in symbols)
    now = clock.now()
    misses: list[str] = []
    for symbol in symbols:
        found = entries.get(cache.stock_cache_key(symbol))
        if found is not None and found.is_fresh(now):
            try:
                batch.results[symbol] = get_stock_data(symbol, deadline=deadline, entry=found)
            except MojoError as error:
                batch.errors[symbol] = error
        else:
            misses.append(symbol)

    def fetch(symbol: str) -> tuple[str, Cached[dict[str, Any]] | MojoError]:
        try:
            found = entries.get(cache.stock_cache_key(symbol))
            return symbol, get_stock_data(symbol, deadline=deadline, entry=found)
        except MojoError as error:
            return symbol, error

    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    for symbol, outcome in _pooled(fetch, misses, workers=workers, name="stockdata"):
        if isinstance(outcome, MojoError):
            batch.errors[symbol] = outcome
        else:
            batch.results[symbol] = outcome
    return batch


# --- Options chain ----------------------------------------------------------------------------------
def _chain_windows(today: date) -> list[dict[str, Any]]:
    return [
        {
            "from": (today + timedelta(days=SHORT_WINDOW_DAYS[0])).isoformat(),
            "to": (today + timedelta(days=SHORT_WINDOW_DAYS[1])).isoformat(),
            "min_dte": SHORT_WINDOW_DAYS[0],
            "max_dte": SHORT_WINDOW_DAYS[1],
            "contract_type": None,
        },
        {
            "from": (today + timedelta(days=LONG_WINDOW_DAYS[0])).isoformat(),
            "to": (today + timedelta(days=LONG_WINDOW_DAYS[1])).isoformat(),
            "min_dte": LONG_WINDOW_DAYS[0],
            "max_dte": LONG_WINDOW_DAYS[1],
            "contract_type": "call",
        },
    ]


def _chain_payload(
    symbol: str, contracts: Sequence[OptionSnapshot], *, spot: float | None, today: date
) -> dict[str, Any]:
    analysed = (
        [
            option_analytics.analyze_contract(c, spot=spot, today=today, rate=settings.RISK_FREE_RATE)
            for c in contracts
        ]
        if spot
        else []
    )
    atm = option_analytics.atm_iv(analysed, spot=spot) if spot else None
    counts: dict[str, int] = {}
    if spot and analysed:
        # Earnings are fetched separately and may change; counts here ignore them.
        counts = strategies.candidate_counts(
            analysed,
            spot=spot,
            today=today,
            earnings_date=None,
            earnings_known=True,
            thresholds=settings.STRATEGY_THRESHOLDS,
        )
    return {
        "symbol": symbol,
        "spot": spot,
        "as_of_date": today.isoformat(),
        "windows": _chain_windows(today),
        "atm_iv": atm,
        "signal_counts": counts,
        "contracts": [c.to_payload() for c in contracts],
    }


def get_options_chain(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    record_iv: bool = True,
) -> Cached[dict[str, Any]]:
    """The spec's two filtered chain fetches, combined; cached only when both succeed.

    A fetched chain records the day's ATM IV (`record_iv`); worker threads of a refresh pass
    False and leave that database write to the refresh's own thread.
    """
    symbol = normalize_symbol(ticker)
    now = clock.now()
    today = market_hours.market_date(now)

    def fetch() -> dict[str, Any]:
        client = get_massive_client()
        short_window, long_window = _chain_windows(today)
        # A failure of either call raises before anything is stored: never half a chain.
        contracts = client.get_options_chain_snapshot(
            symbol,
            date.fromisoformat(short_window["from"]),
            date.fromisoformat(short_window["to"]),
            deadline=deadline,
        ) + client.get_options_chain_snapshot(
            symbol,
            date.fromisoformat(long_window["from"]),
            date.fromisoformat(long_window["to"]),
            contract_type="call",
            deadline=deadline,
        )
        spot = next((c.underlying_price for c in contracts if c.underlying_price), None)
        if spot is None and contracts:
            spot = get_stock_data(symbol, deadline=deadline).value["price"]
        payload = _chain_payload(symbol, contracts, spot=spot, today=today)
        summary = {k: payload[k] for k in ("spot", "atm_iv", "signal_counts", "as_of_date")}
        at = clock.now()
        cache.write(
            cache.options_summary_cache_key(symbol),
            cache.Entry(summary, at.timestamp(), at.timestamp() + market_hours.LONG_TTL),
            fresh_ttl=market_hours.LONG_TTL,
        )
        return payload

    chain = cache.get_or_fetch(
        key=cache.options_cache_key(symbol),
        dataset=cache.OPTIONS,
        fetch=fetch,
        fresh_ttl=_long_ttl,
        force=force_refresh,
        deadline=deadline,
    )
    if record_iv and not chain.cached and chain.value.get("atm_iv"):
        record_iv_snapshot(symbol, atm_iv=chain.value["atm_iv"], now=now)
    return chain


def chain_contracts(payload: Mapping[str, Any]) -> list[OptionSnapshot]:
    """The typed contracts of a cached chain payload."""
    return [OptionSnapshot.from_payload(item) for item in payload["contracts"]]


def analyse_chain(payload: Mapping[str, Any], *, today: date) -> list[dict[str, Any]]:
    """Per-contract analytics (DTE, mid, spread, moneyness, filled-in greeks) of a chain."""
    spot = payload.get("spot")
    if not spot:
        return []
    return [
        option_analytics.analyze_contract(c, spot=spot, today=today, rate=settings.RISK_FREE_RATE)
        for c in chain_contracts(payload)
    ]


# --- IV history ---------------------------------------------------------------------------------------
def record_iv_snapshot(symbol: str, *, atm_iv: float, now: datetime) -> IVSnapshot:
    """Upsert today's ATM IV for the latest completed session (a Saturday run writes Friday)."""
    session = market_hours.latest_completed_session(now)
    snapshot, _ = IVSnapshot.objects.update_or_create(
        ticker=symbol, session_date=session, defaults={"atm_iv": atm_iv, "is_demo": False}
    )
    return snapshot


def iv_context(symbol: str, *, current: float | None) -> option_analytics.IVStats:
    """IV rank and percentile of `current` against the last 252 stored sessions."""
    history = list(
        IVSnapshot.objects.filter(ticker=symbol)
        .order_by("-session_date")
        .values_list("atm_iv", flat=True)[:IV_HISTORY_SESSIONS]
    )
    return option_analytics.iv_stats(history, current)


def iv_ranks(current_ivs: Mapping[str, float | None]) -> dict[str, float | None]:
    """IV rank per symbol against its stored history, in one query for all symbols."""
    if not current_ivs:
        return {}
    histories: dict[str, list[float]] = {symbol: [] for symbol in current_ivs}
    since = clock.market_today() - timedelta(days=400)  # 252 sessions fit in ~366 calendar days
    rows = (
        IVSnapshot.objects.filter(ticker__in=list(current_ivs), session_date__gte=since)
        .order_by("ticker", "-session_date")
        .values_list("ticker", "atm_iv")
    )
    for symbol, atm_iv in rows:
        if len(histories[symbol]) < IV_HISTORY_SESSIONS:
            histories[symbol].append(atm_iv)
    return {
        symbol: option_analytics.iv_stats(histories[symbol], current).iv_rank
        for symbol, current in current_ivs.items()
    }


# --- Option prices ------------------------------------------------------------------------------------
def get_option_price(
    underlying: str,
    option_ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> Cached[dict[str, Any]]:
    """One contract's snapshot with its price by the spec's priority (mid, bid, ask, close)."""
    symbol = normalize_symbol(underlying)
    parsed = occ.parse(option_ticker)
    if not occ.root_belongs_to(parsed.root, symbol):
        raise occ_mismatch(option_ticker, symbol)
    canonical = occ.build(parsed.root, parsed.expiration, parsed.contract_type, parsed.strike)

    def fetch() -> dict[str, Any]:
        snapshot = get_massive_client().get_option_contract_snapshot(symbol, canonical, deadline=deadline)
        return snapshot.to_payload()

    cached = cache.get_or_fetch(
        key=cache.option_price_cache_key(canonical),
        dataset=cache.OPTION_PRICE,
        fetch=fetch,
        fresh_ttl=market_hours.quote_ttl,
        force=force_refresh,
        deadline=deadline,
        remember_unknown=True,
    )
    contract = OptionSnapshot.from_payload(cached.value)
    price, source = option_analytics.option_price(contract.bid, contract.ask, contract.day_close)
    value = {**cached.value, "price": price, "price_source": source}
    return Cached(value, cached.as_of, cached.cached, cached.stale)


def occ_mismatch(option_ticker: str, symbol: str) -> MojoError:
    """The error for an option ticker whose root is another symbol's."""
    return InvalidOptionTicker(
        f"{option_ticker} is not an option on {symbol}.",
        details={"option_ticker": option_ticker[:32], "symbol": symbol},
    )


def underlying_of(option_ticker: str) -> str:
    """The stock symbol an option ticker's root belongs to (root without its adjustment digit)."""
    root = occ.parse(option_ticker).root
    base = root[:-1] if root[-1].isdigit() else root
    return normalize_symbol(base)


# --- Earnings -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EarningsInfo:
    """Next earnings date picked at read time; status "unknown" when FMP can't tell."""

    symbol: str
    next_date: date | None
    days_to_earnings: int | None
    upcoming: list[date]
    status: str  # "scheduled" | "none" | "unknown"
    as_of: datetime | None
    cached: bool
    stale: bool


def get_earnings(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> EarningsInfo:
    """Upcoming earnings dates (cached as a list; the next one is chosen at read time)."""
    symbol = normalize_symbol(ticker)
    today = clock.market_today()

    def fetch() -> list[str]:
        return [d.isoformat() for d in get_fmp_client().upcoming_earnings(symbol, today, deadline=deadline)]

    try:
        cached = cache.get_or_fetch(
            key=cache.earnings_cache_key(symbol),
            dataset=cache.EARNINGS,
            fetch=fetch,
            fresh_ttl=_long_ttl,
            force=force_refresh,
            deadline=deadline,
            entry=entry,
        )
    except (EarningsUnavailable, ProviderError) as error:
        logger.info("earnings unknown for %s: %s", symbol, getattr(error, "code", error))
        return EarningsInfo(symbol, None, None, [], "unknown", None, cached=False, stale=False)
    return _earnings_info(symbol, cached, today=today)


def _earnings_info(symbol: str, cached: Cached[Any], *, today: date) -> EarningsInfo:
    """Pick the next report date at read time from the cached list of upcoming dates."""
    upcoming = sorted(d for d in (date.fromisoformat(s) for s in cached.value) if d >= today)
    next_date = upcoming[0] if upcoming else None
    return EarningsInfo(
        symbol=symbol,
        next_date=next_date,
        days_to_earnings=(next_date - today).days if next_date else None,
        upcoming=upcoming,
        status="scheduled" if next_date else "none",
        as_of=cached.as_of,
        cached=cached.cached,
        stale=cached.stale,
    )


# --- Validation, invalidation, refresh bookkeeping -----------------------------------------------------
def validate_ticker(ticker: str, *, deadline: Deadline | None = None) -> bool:
    """Ask the provider whether a well-formed symbol exists (7 days of bars); raises if it can't tell."""
    symbol = normalize_symbol(ticker)
    return get_massive_client().validate_ticker(symbol, today=clock.market_today(), deadline=deadline)


def invalidate_symbol(ticker: str) -> int:
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
    keys = [
        cache.stock_cache_key(symbol),
        cache.bars_cache_key(symbol),
        cache.options_cache_key(symbol),
        cache.options_summary_cache_key(symbol),
        cache.earnings_cache_key(symbol),
        *price_keys,
    ]
    return cache.delete_keys(keys)


def invalidate_all() -> int:
    """Delete every market-data key; return the count."""
    keys = cache.keys_matching(f"{cache.KEY_PREFIX}*")
    return cache.delete_keys([*keys, cache.last_refresh_key()])


def record_last_refresh(at: datetime | None = None) -> str:
    """Write `finance:last_refresh` (ISO UTC) and return it."""
    stamp = (at or clock.now()).isoformat()
    cache.set_value(cache.last_refresh_key(), stamp)
    return stamp


def last_refresh() -> str | None:
    """The time of the last refresh run (ISO UTC), if known."""
    value = cache.get_value(cache.last_refresh_key())
    return value if isinstance(value, str) else None


# --- What the API shows -----------------------------------------------------------------------------------
def meta_of(cached: Cached[Any]) -> dict[str, Any]:
    """The `meta` block every market-data response carries."""
    return {"as_of": cached.as_of.isoformat(), "cached": cached.cached, "stale": cached.stale}


def _earnings_fields(earnings: EarningsInfo) -> dict[str, Any]:
    return {
        "earnings_date": earnings.next_date.isoformat() if earnings.next_date else None,
        "days_to_earnings": earnings.days_to_earnings,
        "earnings_status": earnings.status,
    }


def stock_overview(
    ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """Price, change, indicators and next earnings of a symbol (one cache round trip when warm)."""
    symbol = normalize_symbol(ticker)
    stock_key, earnings_key = cache.stock_cache_key(symbol), cache.earnings_cache_key(symbol)
    entries = cache.read_many([stock_key, earnings_key])
    stock = get_stock_data(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(stock_key)
    )
    earnings = get_earnings(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(earnings_key)
    )
    payload = stock.value
    return {
        "symbol": symbol,
        "price": payload["price"],
        "change": payload["change"],
        "change_percent": payload["change_percent"],
        **payload["indicators"],
        **_earnings_fields(earnings),
        "meta": meta_of(stock),
    }


def stock_bar_history(
    ticker: str, *, days: int | None = None, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """The daily bars the indicators were computed from (for charts)."""
    symbol = normalize_symbol(ticker)
    stock = get_stock_bars(symbol, force_refresh=force_refresh, deadline=deadline)
    bars = stock_bars(stock.value, days=days)
    return {
        "symbol": symbol,
        "bars": [
            {
                "date": bar.session.isoformat(),
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "volume": bar.volume,
                "vwap": bar.vwap,
            }
            for bar in bars
        ],
        "meta": meta_of(stock),
    }


def earnings_overview(
    ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """Next earnings date, days to it and every upcoming date known."""
    earnings = get_earnings(ticker, force_refresh=force_refresh, deadline=deadline)
    as_of = earnings.as_of or clock.now()
    return {
        "symbol": earnings.symbol,
        **_earnings_fields(earnings),
        "upcoming": [d.isoformat() for d in earnings.upcoming],
        "meta": {"as_of": as_of.isoformat(), "cached": earnings.cached, "stale": earnings.stale},
    }


@dataclass(frozen=True, slots=True)
class ChainFilter:
    """Filters of the options endpoint; deltas compare absolute values (0–1)."""

    min_dte: int | None = None
    max_dte: int | None = None
    contract_type: str | None = None
    min_delta: float | None = None
    max_delta: float | None = None

    def accepts(self, contract: Mapping[str, Any]) -> bool:
        """True when an analysed contract passes every given filter."""
        dte = contract["dte"]
        if self.min_dte is not None and dte < self.min_dte:
            return False
        if self.max_dte is not None and dte > self.max_dte:
            return False
        if self.contract_type and contract["contract_type"] != self.contract_type:
            return False
        if self.min_delta is not None or self.max_delta is not None:
            delta = contract.get("delta")
            if delta is None:
                return False
            if self.min_delta is not None and abs(delta) < self.min_delta:
                return False
            if self.max_delta is not None and abs(delta) > self.max_delta:
                return False
        return True


_RESULT_FIELDS = (
    "option_ticker",
    "contract_type",
    "strike",
    "expiration",
    "dte",
    "bid",
    "ask",
    "mid",
    "price",
    "price_source",
    "spread_pct",
    "delta",
    "gamma",
    "theta",
    "vega",
    "greeks_source",
    "iv",
    "open_interest",
    "volume",
)


def options_overview(
    ticker: str,
    *,
    filters: ChainFilter,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """The analysed chain with ATM IV, IV rank/percentile, DTE buckets and filtered contracts."""
    chain = get_options_chain(ticker, force_refresh=force_refresh, deadline=deadline)
    payload = chain.value
    today = clock.market_today()
    contracts = chain_contracts(payload)
    # Filter on DTE and type before analysing: analysis (and any IV solving) is the costly part.
    dated = [({"dte": (c.expiration - today).days, "contract_type": c.contract_type}, c) for c in contracts]
    dte_filter = replace(filters, min_delta=None, max_delta=None)
    spot = payload["spot"]
    analysed = (
        [
            option_analytics.analyze_contract(c, spot=spot, today=today, rate=settings.RISK_FREE_RATE)
            for light, c in dated
            if dte_filter.accepts(light)
        ]
        if spot
        else []
    )
    stats = iv_context(payload["symbol"], current=payload["atm_iv"])
    buckets = option_analytics.dte_buckets(
        [{"dte": light["dte"], "expiration": c.expiration.isoformat()} for light, c in dated]
    )
    return {
        "symbol": payload["symbol"],
        "spot": spot,
        "atm_iv": payload["atm_iv"],
        "iv_rank": stats.iv_rank,
        "iv_percentile": stats.iv_percentile,
        "iv_history_days": stats.observations,
        "iv_rank_reason": stats.reason,
        "buckets": buckets,
        "windows": payload["windows"],
        "results": [{k: c.get(k) for k in _RESULT_FIELDS} for c in analysed if filters.accepts(c)],
        "meta": meta_of(chain),
    }


def signals_overview(
    ticker: str,
    *,
    shares_held: float,
    strategy_names: Sequence[str],
    include_earnings: bool,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Ranked CSP / covered call / LEAPS / PMCC candidates that respect earnings."""
    chain = get_options_chain(ticker, force_refresh=force_refresh, deadline=deadline)
    payload = chain.value
    today = clock.market_today()
    earnings = get_earnings(payload["symbol"], deadline=deadline)
    stats = iv_context(payload["symbol"], current=payload["atm_iv"])
    analysed = analyse_chain(payload, today=today)
    signals = (
        strategies.generate_signals(
            analysed,
            spot=payload["spot"],
            today=today,
            earnings_date=earnings.next_date,
            earnings_known=earnings.status != "unknown",
            include_earnings=include_earnings,
            shares_held=shares_held,
            thresholds=settings.STRATEGY_THRESHOLDS,
            strategies=strategy_names,
            iv_rank=stats.iv_rank,
        )
        if payload["spot"]
        else {name: [] for name in strategy_names}
    )
    return {
        "symbol": payload["symbol"],
        "spot": payload["spot"],
        "iv_rank": stats.iv_rank,
        "atm_iv": payload["atm_iv"],
        **_earnings_fields(earnings),
        "strategies": {name: signals.get(name, []) for name in strategy_names},
        "meta": meta_of(chain),
    }


def option_quote(
    option_ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """One contract's live price, quote and greeks (computed when the provider sent none)."""
    underlying = underlying_of(option_ticker)
    quote = get_option_price(underlying, option_ticker, force_refresh=force_refresh, deadline=deadline)
    contract = OptionSnapshot.from_payload(quote.value)
    spot = contract.underlying_price
    analysed = (
        option_analytics.analyze_contract(
            contract, spot=spot, today=clock.market_today(), rate=settings.RISK_FREE_RATE
        )
        if spot
        else None
    )
    greeks = {k: (analysed or {}).get(k, getattr(contract, k)) for k in ("delta", "gamma", "theta", "vega")}
    return {
        "option_ticker": contract.option_ticker,
        "underlying": underlying,
        "price": quote.value["price"],
        "price_source": quote.value["price_source"],
        "bid": contract.bid,
        "ask": contract.ask,
        **greeks,
        "greeks_source": (analysed or {}).get(
            "greeks_source", "provider" if contract.delta is not None else None
        ),
        "iv": (analysed or {}).get("iv", contract.implied_volatility),
        "dte": (contract.expiration - clock.market_today()).days,
        "meta": meta_of(quote),
    }


# --- Refresh (cron) -----------------------------------------------------------------------------------------
DATASETS = ("stock", "options", "earnings")


@dataclass(slots=True)
class SymbolRefresh:
    """What one symbol's refresh did: per data set "fetched", "fresh", "stale" or an error code."""

    symbol: str
    datasets: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False
    atm_iv: float | None = None  # today's ATM IV, for the refresh to record

    @property
    def ok(self) -> bool:
        """True when nothing failed (stale counts as failed: the provider did not answer)."""
        return self.error is None and all(v in ("fetched", "fresh") for v in self.datasets.values())


def _outcome(cached: Cached[Any]) -> str:
    if cached.stale:
        return "stale"
    return "fresh" if cached.cached else "fetched"


def _refresh_lock(symbol: str) -> Any:
    return cache._try_lock(f"refresh:{symbol}")


def refresh_symbol(
    symbol: str,
    *,
    force: bool = False,
    only: Sequence[str] = DATASETS,
    deadline: Deadline | None = None,
    record_iv: bool = True,
) -> SymbolRefresh:
    """Refresh what is missing or past its fresh TTL (everything with `force`) for one symbol.

    A per-symbol lock keeps copies started together on several hosts from repeating each
    other's upstream work; the copy that finds the lock taken skips the symbol. `deadline`
    bounds the provider time (admin actions); `record_iv` writes today's IV snapshot (a
    refresh's worker threads leave that database write to the refresh's own thread).
    """
    result = SymbolRefresh(symbol=symbol)
    lock = _refresh_lock(symbol)
    if lock is None:
        result.skipped = True
        return result
    try:
        if "stock" in only:
            result.datasets["stock"] = _outcome(
                get_stock_data(symbol, force_refresh=force, deadline=deadline)
            )
        if "options" in only:
            chain = get_options_chain(symbol, force_refresh=force, deadline=deadline, record_iv=False)
            result.datasets["options"] = _outcome(chain)
            if not chain.stale:
                result.atm_iv = chain.value.get("atm_iv")
                if record_iv and result.atm_iv:
                    record_iv_snapshot(symbol, atm_iv=result.atm_iv, now=clock.now())
        if "earnings" in only:
            earnings = get_earnings(symbol, force_refresh=force, deadline=deadline)
            if earnings.status == "unknown":
                # No FMP key is a configuration choice; a configured FMP that fails is a failure.
                result.datasets["earnings"] = "provider_unavailable" if settings.FMP_API_KEY else "fresh"
            else:
                result.datasets["earnings"] = (
                    "stale" if earnings.stale else ("fresh" if earnings.cached else "fetched")
                )
    except MojoError as error:
        result.error = error.code
    finally:
        lock.release()
    return result


def refresh_option_price(underlying: str, option_ticker: str, *, force: bool = False) -> SymbolRefresh:
    """Refresh one open position's contract price."""
    result = SymbolRefresh(symbol=option_ticker)
    try:
        result.datasets["option_price"] = _outcome(
            get_option_price(underlying, option_ticker, force_refresh=force)
        )
    except MojoError as error:
        result.error = error.code
    return result


@dataclass(slots=True)
class RefreshReport:
    """A refresh run: per-symbol results, upstream calls made and time taken."""

    results: list[SymbolRefresh]
    upstream_calls: int
    elapsed: float
    last_refresh: str

    @property
    def failed(self) -> list[SymbolRefresh]:
        """Symbols (or contracts) whose refresh failed."""
        return [r for r in self.results if not r.ok and not r.skipped]


def _upstream_calls_so_far() -> int:
    from marketdata.metrics import UPSTREAM_CALLS

    return int(
        sum(
            sample.value
            for metric in UPSTREAM_CALLS.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def refresh_market_data(
    *,
    tickers: Sequence[str] | None = None,
    force: bool = False,
    only: Sequence[str] = (*DATASETS, "option_price"),
    concurrency: int = 4,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SymbolRefresh], None] | None = None,
) -> RefreshReport:
    """Refresh the union of all watchlists (or `tickers`) and open positions' option prices.

    Writes today's IV snapshot per symbol and `finance:last_refresh`. `on_start` gets the
    number of jobs; `on_result` each SymbolRefresh as it completes (progress display).
    """
    from watchlist.selectors import open_option_contracts, watched_symbols

    started = time.monotonic()
    calls_before = _upstream_calls_so_far()
    symbols = [normalize_symbol(t) for t in tickers] if tickers else watched_symbols()
    contracts = [(u, o) for u, o in open_option_contracts() if not tickers or u in symbols]

    def run(job: Any) -> SymbolRefresh:
        if isinstance(job, str):
            return refresh_symbol(job, force=force, only=only, record_iv=False)
        return refresh_option_price(*job, force=force)

    jobs: list[Any] = list(dict.fromkeys(symbols)) if set(only) & set(DATASETS) else []
    if "option_price" in only:
        jobs += contracts
    if on_start is not None:
        on_start(len(jobs))
    results: list[SymbolRefresh] = []
    for outcome in _pooled(run, jobs, workers=concurrency, name="refresh"):
        results.append(outcome)
        if outcome.atm_iv:
            # Database writes stay on this thread (SQLite: one writer; tests: one connection).
            record_iv_snapshot(outcome.symbol, atm_iv=outcome.atm_iv, now=clock.now())
        if on_result is not None:
            on_result(outcome)
    stamp = record_last_refresh()
    return RefreshReport(
        results=results,
        upstream_calls=_upstream_calls_so_far() - calls_before,
        elapsed=time.monotonic() - started,
        last_refresh=stamp,
    )


def seed_demo_iv_history(
    symbols: Iterable[str], *, now: datetime, sessions: int = IV_HISTORY_SESSIONS
) -> int:
    """Store a year of ATM IV per symbol from the sandbox's own IV model, labelled demo data.

    Only for the offline demo: IV rank needs a year of observations that a fresh install lacks.
    """
    from marketdata.sandbox import data as sandbox_data

    last = market_hours.latest_completed_session(now)
    days = market_hours.sessions_between(last - timedelta(days=int(sessions * 1.6)), last)[-sessions:]
    rows = [
        IVSnapshot(ticker=symbol, session_date=day, atm_iv=sandbox_data.atm_iv_on(symbol, day), is_demo=True)
        for symbol in (normalize_symbol(s) for s in symbols)
        if symbol in sandbox_data.UNIVERSE
        for day in days
    ]
    IVSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["ticker", "session_date"],
        update_fields=["atm_iv", "is_demo"],
    )
    return len(rows)


# --- Batch reads for pages that must not wait on the provider (admin, dashboard) -------------------------
SUMMARY_FIELDS = ("sma_20", "sma_50", "sma_200", "rsi_14", "hv_20", "high_52w", "low_52w")


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the cache holds for a set of symbols and contracts, read in one round trip."""

    stocks: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    bars: dict[str, Cached[dict[str, list[Any]]]] = field(default_factory=dict)
    earnings: dict[str, EarningsInfo] = field(default_factory=dict)
    chains: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_prices: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def market_snapshot(
    *,
    symbols: Iterable[str],
    option_contracts: Iterable[tuple[str, str]] = (),
    bar_symbols: Iterable[str] = (),
    fetch_missing: bool = False,
    deadline: Deadline | None = None,
    concurrency: int | None = None,
) -> MarketSnapshot:
    """Stock data, earnings, chain summaries and option prices in one cache round trip.

    With `fetch_missing`, stock data and option prices that are missing or past their
    fresh TTL are fetched with bounded concurrency (chains never: they are cron's job);
    per-item errors are returned, never raised. Without it, only the cache is read.
    """
    normalized = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    contracts = list(dict.fromkeys((normalize_symbol(u), o) for u, o in option_contracts))
    with_bars = list(dict.fromkeys(normalize_symbol(s) for s in bar_symbols))
    keys = [
        *(cache.stock_cache_key(s) for s in normalized),
        *(cache.earnings_cache_key(s) for s in normalized),
        *(cache.options_summary_cache_key(s) for s in normalized),
        *(cache.bars_cache_key(s) for s in with_bars),
        *(cache.option_price_cache_key(o) for _, o in contracts),
    ]
    entries = cache.read_many(keys)
    now = clock.now()
    snapshot = MarketSnapshot()
    jobs: list[tuple[str, Any]] = []
    for symbol in normalized:
        stock_entry = entries.get(cache.stock_cache_key(symbol))
        if (
            stock_entry is not None
            and not stock_entry.missing
            and (stock_entry.is_fresh(now) or not fetch_missing)
        ):
            snapshot.stocks[symbol] = Cached(
                stock_entry.value, stock_entry.as_of, cached=True, stale=not stock_entry.is_fresh(now)
            )
        elif fetch_missing:
            jobs.append(("stock", symbol))
        earnings_entry = entries.get(cache.earnings_cache_key(symbol))
        if earnings_entry is not None and (earnings_entry.is_fresh(now) or not fetch_missing):
            snapshot.earnings[symbol] = _earnings_info(
                symbol,
                Cached(
                    earnings_entry.value,
                    earnings_entry.as_of,
                    cached=True,
                    stale=not earnings_entry.is_fresh(now),
                ),
                today=market_hours.market_date(now),
            )
        elif fetch_missing:
            jobs.append(("earnings", symbol))
        summary_entry = entries.get(cache.options_summary_cache_key(symbol))
        if summary_entry is not None and not summary_entry.missing:
            snapshot.chains[symbol] = summary_entry.value
    for symbol in with_bars:
        bars_entry = entries.get(cache.bars_cache_key(symbol))
        if bars_entry is not None and not bars_entry.missing:
            snapshot.bars[symbol] = Cached(bars_entry.value, bars_entry.as_of, cached=True, stale=False)
        elif fetch_missing:
            jobs.append(("bars", symbol))
    for underlying, option_ticker in contracts:
        price_entry = entries.get(cache.option_price_cache_key(option_ticker))
        if (
            price_entry is not None
            and not price_entry.missing
            and (price_entry.is_fresh(now) or not fetch_missing)
        ):
            snapshot.option_prices[option_ticker] = _priced(
                Cached(price_entry.value, price_entry.as_of, cached=True, stale=not price_entry.is_fresh(now))
            )
        elif fetch_missing:
            jobs.append(("option_price", (underlying, option_ticker)))
    if fetch_missing and jobs:
        _fetch_snapshot_misses(snapshot, jobs, entries, deadline=deadline, concurrency=concurrency)
    return snapshot


def _priced(quote: Cached[dict[str, Any]]) -> Cached[dict[str, Any]]:
    contract = OptionSnapshot.from_payload(quote.value)
    price, source = option_analytics.option_price(contract.bid, contract.ask, contract.day_close)
    return Cached(
        {**quote.value, "price": price, "price_source": source}, quote.as_of, quote.cached, quote.stale
    )


def _fetch_snapshot_misses(
    snapshot: MarketSnapshot,
    jobs: list[tuple[str, Any]],
    entries: Mapping[str, cache.Entry],
    *,
    deadline: Deadline | None,
    concurrency: int | None,
) -> None:
    def run(job: tuple[str, Any]) -> tuple[tuple[str, Any], Any]:
        kind, target = job
        try:
            if kind == "stock":
                found = entries.get(cache.stock_cache_key(target))
                return job, get_stock_data(target, deadline=deadline, entry=found)
            if kind == "earnings":
                found = entries.get(cache.earnings_cache_key(target))
                return job, get_earnings(target, deadline=deadline, entry=found)
            if kind == "bars":
                found = entries.get(cache.bars_cache_key(target))
                return job, get_stock_bars(target, deadline=deadline, entry=found)
            return job, get_option_price(*target, deadline=deadline)
        except MojoError as error:
            return job, error

    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    for (kind, target), outcome in _pooled(run, jobs, workers=workers, name="snapshot"):
        name = target if isinstance(target, str) else target[1]
        if isinstance(outcome, MojoError):
            snapshot.errors[name] = outcome
        elif kind == "stock":
            snapshot.stocks[name] = outcome
        elif kind == "earnings":
            snapshot.earnings[name] = outcome
        elif kind == "bars":
            snapshot.bars[name] = outcome
        else:
            snapshot.option_prices[name] = outcome


def stock_summary(symbol: str, snapshot: MarketSnapshot) -> dict[str, Any] | None:
    """Price, change % and headline indicators of a symbol from a snapshot (None when absent)."""
    stock = snapshot.stocks.get(symbol)
    if stock is None:
        return None
    indicators_ = stock.value["indicators"]
    return {
        "price": stock.value["price"],
        "change_percent": stock.value["change_percent"],
        **{name: indicators_.get(name) for name in SUMMARY_FIELDS},
        "meta": meta_of(stock),
    }


def close_on_or_before(columns: Mapping[str, list[Any]], day: date) -> float | None:
    """The close of the last session on or before `day` among a bars entry's columns."""
    iso = day.isoformat()
    index = bisect.bisect_right(columns["d"], iso) - 1
    return columns["c"][index] if index >= 0 else None
