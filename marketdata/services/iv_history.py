"""IV history: one ATM IV per symbol and session in the database; IV rank and percentile from it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from marketdata import clock, market_hours, volatility
from marketdata.models import IVSnapshot


def iv_snapshot_record(symbol: str, *, atm_iv: float, now: datetime) -> IVSnapshot:
    """Upsert today's ATM IV for the latest completed session (a Saturday run writes Friday)."""
    session = market_hours.latest_completed_session(now)
    snapshot, _ = IVSnapshot.objects.update_or_create(
        ticker=symbol, session_date=session, defaults={"atm_iv": atm_iv, "is_demo": False}
    )
    return snapshot


def iv_stats_get(symbol: str, *, current: float | None) -> volatility.IVStats:
    """IV rank and percentile of `current` against the last 252 stored sessions."""
    history = list(
        IVSnapshot.objects.filter(ticker=symbol)
        .order_by("-session_date")
        .values_list("atm_iv", flat=True)[: volatility.IV_HISTORY_SESSIONS]
    )
    return volatility.iv_stats(history, current)


def iv_ranks_get(current_ivs: Mapping[str, float | None]) -> dict[str, float | None]:
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
        if len(histories[symbol]) < volatility.IV_HISTORY_SESSIONS:
            histories[symbol].append(atm_iv)
    return {
        symbol: volatility.iv_stats(histories[symbol], current).iv_rank
        for symbol, current in current_ivs.items()
    }
