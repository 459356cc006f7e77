"""Options chains: the spec's two filtered chain fetches, analysed once when fetched.

The chain's summary (spot, ATM IV, signal counts) goes to its own key in the same fetch, for
dashboards. Also: the options and signals API responses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from marketdata import cache, clock, market_hours, option_analytics, strategies
from marketdata.cache import Cached
from marketdata.clients import get_massive_client
from marketdata.domain import OptionSnapshot
from marketdata.services.earnings import earnings_fields, get_earnings
from marketdata.services.iv_history import iv_context, record_iv_snapshot
from marketdata.services.meta import meta_of
from marketdata.services.stocks import get_stock_data
from marketdata.symbols import normalize_symbol

SHORT_WINDOW_DAYS = (0, 60)  # calls and puts: CSP, covered calls, PMCC short legs
LONG_WINDOW_DAYS = (365, 900)  # calls only: LEAPS and PMCC long legs


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
        fresh_ttl=market_hours.long_ttl,
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
        **earnings_fields(earnings),
        "strategies": {name: signals.get(name, []) for name in strategy_names},
        "meta": meta_of(chain),
    }
