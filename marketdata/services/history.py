"""Stored daily history (the `SessionBar` table): what is stored, storing it, reading it.

Completed, split-adjusted sessions only, keyed by the New York session date; written by one
caller at a time per symbol (the refresh's own thread, or a request), read by anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db.models import Max

from marketdata.domain import DailyBar
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
