"""Options chains: the spec's two filtered chain fetches (`marketdata.datasets`), analysed once
when fetched, with the day's ATM IV recorded; and the options and signals API responses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple, cast

from django.conf import settings

from core.deadline import Deadline
from marketdata import cache, clock, datasets, option_analytics, payloads, presentation, strategies
from marketdata.cache import Cached
from marketdata.domain import OptionSnapshot
from marketdata.option_analytics import AnalysedContract
from marketdata.responses import Options, Signals, SpotFields, Strategies
from marketdata.services.earnings import EarningsInfo, earnings_fields, earnings_of
from marketdata.services.iv_history import iv_snapshot_record, iv_stats_get
from marketdata.services.meta import meta_of
from marketdata.services.spot import chain_spot_of, spot_get
from marketdata.strategies.rulebook import Candidate
from marketdata.symbols import Symbol, normalize_symbol


def options_chain_get(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    record_iv: bool = True,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, Any]]:
    """The spec's two filtered chain fetches, combined; cached only when both succeed.

    A fetched chain records the day's ATM IV (`record_iv`); worker threads of a refresh pass
    False and leave that database write to the refresh's own thread.
    """
    symbol = normalize_symbol(ticker)
    now = clock.now()
    chain = datasets.OPTIONS.get(symbol, force=force_refresh, deadline=deadline, entry=entry)
    if record_iv and not chain.cached and chain.value.get("atm_iv"):
        iv_snapshot_record(symbol, atm_iv=chain.value["atm_iv"], now=now)
    return chain


def chain_contracts(payload: Mapping[str, Any]) -> list[OptionSnapshot]:
    """The typed contracts of a cached chain payload."""
    return [OptionSnapshot.from_payload(item) for item in payload["contracts"]]


def chain_analyse(payload: Mapping[str, Any], *, today: date) -> list[AnalysedContract]:
    """Per-contract analytics (DTE, mid, spread, moneyness, filled-in greeks) of a chain.

    Where the provider sent no IV or greeks the American model fills them in, counting the
    expected cash dividends the chain was fetched with (`payloads.chain_payload`).
    """
    spot = payload.get("spot")
    if not spot:
        return []
    contracts = chain_contracts(payload)
    dividends = payloads.chain_dividends(payload)
    return [
        option_analytics.analyze_contract(
            c, spot=spot, today=today, rate=settings.RISK_FREE_RATE, dividends=dividends
        )
        for c in contracts
    ]


class _Dated(NamedTuple):
    dte: int
    expiration: date


@dataclass(frozen=True, slots=True)
class ChainFilter:
    """Filters of the options endpoint; deltas compare absolute values (0–1)."""

    min_dte: int | None = None
    max_dte: int | None = None
    contract_type: str | None = None
    min_delta: float | None = None
    max_delta: float | None = None

    def accepts(self, *, dte: int, contract_type: str, delta: float | None = None) -> bool:
        """True when a contract of this DTE, type and delta passes every given filter."""
        if self.min_dte is not None and dte < self.min_dte:
            return False
        if self.max_dte is not None and dte > self.max_dte:
            return False
        if self.contract_type and contract_type != self.contract_type:
            return False
        if self.min_delta is not None or self.max_delta is not None:
            if delta is None:
                return False
            if self.min_delta is not None and abs(delta) < self.min_delta:
                return False
            if self.max_delta is not None and abs(delta) > self.max_delta:
                return False
        return True


@dataclass(frozen=True, slots=True)
class _ChainRead:
    """A chain with the spot of the moment, the earnings entry read beside them, and today."""

    chain: Cached[dict[str, Any]]
    spot: SpotFields
    earnings_entry: cache.Entry | None
    today: date


def _chain_read(ticker: str, *, force_refresh: bool, deadline: Deadline | None) -> _ChainRead:
    """The symbol's chain, spot and earnings entries in one cache round trip when warm."""
    symbol = normalize_symbol(ticker)
    keys = [cache.options_cache_key(symbol), cache.stock_cache_key(symbol), cache.earnings_cache_key(symbol)]
    entries = cache.read_many(keys)
    chain = options_chain_get(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(keys[0])
    )
    spot = spot_get(
        symbol, chain=chain, force_refresh=force_refresh, deadline=deadline, entry=entries.get(keys[1])
    )
    return _ChainRead(chain, spot, entries.get(keys[2]), clock.market_today())


def options_overview(
    ticker: str,
    *,
    filters: ChainFilter,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> Options:
    """The analysed chain with ATM IV, IV rank/percentile, DTE buckets and filtered contracts."""
    read = _chain_read(ticker, force_refresh=force_refresh, deadline=deadline)
    chain, today = read.chain, read.today
    payload = chain.value
    contracts = chain_contracts(payload)
    # Filter on DTE and type before analysing: analysis (and any IV solving) is the costly part.
    dated = [((c.expiration - today).days, c) for c in contracts]
    dte_filter = replace(filters, min_delta=None, max_delta=None)
    spot = payload["spot"]
    dividends = payloads.chain_dividends(payload)
    analysed = (
        [
            option_analytics.analyze_contract(
                c, spot=spot, today=today, rate=settings.RISK_FREE_RATE, dividends=dividends
            )
            for dte, c in dated
            if dte_filter.accepts(dte=dte, contract_type=c.contract_type)
        ]
        if spot
        else []
    )
    stats = iv_stats_get(payload["symbol"], current=payload["atm_iv"])
    buckets = option_analytics.dte_buckets([_Dated(dte, c.expiration) for dte, c in dated])
    response: Options = {
        "symbol": payload["symbol"],
        **read.spot,
        **chain_spot_of(chain),
        "atm_iv": payload["atm_iv"],
        "iv_rank": stats.iv_rank,
        "iv_percentile": stats.iv_percentile,
        "iv_history_days": stats.observations,
        "iv_rank_reason": stats.reason,
        "buckets": buckets,
        "windows": payload["windows"],
        "results": [
            c.result()
            for c in analysed
            if filters.accepts(dte=c.dte, contract_type=c.contract_type, delta=c.delta)
        ],
        "meta": meta_of(chain),
    }
    return presentation.rounded(response)


def signals_overview(
    ticker: str,
    *,
    shares_held: float,
    strategy_names: Sequence[str],
    include_earnings: bool,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> Signals:
    """Ranked CSP / covered call / LEAPS / PMCC candidates that respect earnings."""
    read = _chain_read(ticker, force_refresh=force_refresh, deadline=deadline)
    chain, today = read.chain, read.today
    payload = chain.value
    earnings = earnings_of(Symbol(payload["symbol"]), deadline=deadline, entry=read.earnings_entry)
    stats = iv_stats_get(payload["symbol"], current=payload["atm_iv"])
    signals = chain_signals(
        chain_analyse(payload, today=today),
        spot=payload["spot"],
        today=today,
        earnings=earnings,
        iv_rank=stats.iv_rank,
        shares_held=shares_held,
        strategy_names=strategy_names,
        include_earnings=include_earnings,
    )
    response: Signals = {
        "symbol": payload["symbol"],
        **read.spot,
        **chain_spot_of(chain),
        "iv_rank": stats.iv_rank,
        "atm_iv": payload["atm_iv"],
        **earnings_fields(earnings),
        "strategies": cast(Strategies, {name: signals.get(name, []) for name in strategy_names}),
        "meta": meta_of(chain),
    }
    return presentation.rounded(response)


def chain_signals(
    analysed: Sequence[AnalysedContract],
    *,
    spot: float | None,
    today: date,
    earnings: EarningsInfo,
    iv_rank: float | None,
    shares_held: float,
    strategy_names: Sequence[str],
    include_earnings: bool,
) -> dict[str, list[Candidate]]:
    """The ranked candidates of each strategy in `strategy_names` (none without a spot).

    The signals endpoint and the admin's chain board both ask this, so they recommend alike.
    """
    if not spot:
        return {name: [] for name in strategy_names}
    return strategies.generate_signals(
        analysed,
        spot=spot,
        today=today,
        earnings_date=earnings.next_date,
        earnings_known=earnings.status != "unknown",
        include_earnings=include_earnings,
        shares_held=shares_held,
        thresholds=strategies.THRESHOLDS,
        strategies=strategy_names,
        iv_rank=iv_rank,
    )


def chain_signal_counts(
    chain: Mapping[str, Any] | None, earnings: EarningsInfo | None, *, today: date
) -> dict[str, int] | None:
    """A cached chain's signal counts under the symbol's current earnings date (None without a chain).

    None too for a chain cached before counts were stored with it (`signal_expirations`).
    """
    expirations = chain.get("signal_expirations") if chain else None
    if expirations is None:
        return None
    return strategies.signal_counts(
        expirations,
        today=today,
        earnings_date=earnings.next_date if earnings else None,
        earnings_known=earnings is not None and earnings.status != "unknown",
    )
