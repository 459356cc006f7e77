"""Stored daily history (the `SessionBar` table): what is stored, storing it, reading it.

Completed, split-adjusted sessions only, keyed by the New York session date; written by one
caller at a time per symbol (the refresh's own thread, or a request), read by anyone.
`history_sync` brings symbols up to the latest completed session at the fewest provider
calls (`marketdata.history_plan` says how).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Max

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import market_hours
from marketdata.clients import get_massive_client
from marketdata.datasets import BARS_CALENDAR_DAYS
from marketdata.domain import DailyBar
from marketdata.history_plan import HistoryPlan, plan_history
from marketdata.models import SessionBar

_UPDATED = ["open", "high", "low", "close", "volume", "vwap", "transactions"]


def history_stored_through(symbols: Sequence[str]) -> dict[str, date | None]:
    """The latest stored session of each symbol (None: nothing stored yet), in one query."""
    latest = dict(
        SessionBar.objects.filter(symbol__in=symbols)
        .values("symbol")
        .annotate(last=Max("session"))
        .values_list("symbol", "last")
    )
    return {symbol: latest.get(symbol) for symbol in symbols}


def history_store(symbol: str, bars: Iterable[DailyBar]) -> int:
    """Store (or overwrite) a symbol's sessions; return how many were written."""
    rows = [
        SessionBar(
            symbol=symbol,
            session=bar.session,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            vwap=bar.vwap,
            transactions=bar.transactions,
        )
        for bar in bars
    ]
    SessionBar.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["symbol", "session"], update_fields=_UPDATED
    )
    return len(rows)


def history_forget(symbol: str) -> int:
    """Delete a symbol's stored history (a split: it is fetched again, adjusted); return rows."""
    deleted, _ = SessionBar.objects.filter(symbol=symbol).delete()
    return deleted


def history_bars(symbol: str, *, since: date) -> list[DailyBar]:
    """A symbol's stored sessions from `since` on, oldest first."""
    rows = (
        SessionBar.objects.filter(symbol=symbol, session__gte=since)
        .order_by("session")
        .values_list("session", "open", "high", "low", "close", "volume", "vwap", "transactions")
    )
    return [DailyBar(*row) for row in rows]


@dataclass(slots=True)
class HistorySync:
    """What a sync did: its plan, the rows written per symbol, and per-symbol errors."""

    plan: HistoryPlan
    stored: dict[str, int] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def history_sync(symbols: Sequence[str], *, now: datetime, deadline: Deadline | None = None) -> HistorySync:
    """Bring the stored history of `symbols` up to the latest completed session at `now`.

    A symbol's failure is reported beside the others' results, never raised.
    """
    latest = market_hours.latest_completed_session(now)
    start = latest - timedelta(days=BARS_CALENDAR_DAYS)
    plan = plan_history(
        history_stored_through(symbols), completed=market_hours.sessions_between(start, latest)
    )
    client = get_massive_client()
    sync = HistorySync(plan)
    ranges = {symbol: (start, latest) for symbol in plan.full} | plan.ranges
    for symbol, (first, last) in ranges.items():
        try:
            bars = client.get_daily_bars(symbol, first, last, deadline=deadline)
        except MojoError as error:
            sync.errors[symbol] = error
            continue
        sync.stored[symbol] = history_store(symbol, bars)
    for session in plan.grouped:
        try:
            market = client.get_grouped_daily(session, deadline=deadline)
        except MojoError as error:
            sync.errors.update(dict.fromkeys(plan.grouped_for, error))
            continue
        for symbol in plan.grouped_for:
            if symbol in market:
                sync.stored[symbol] = sync.stored.get(symbol, 0) + history_store(symbol, [market[symbol]])
    return sync
