"""Stored daily history (the `SessionBar` table): bringing it up to date, keeping it split-safe, reading it.

Completed, split-adjusted sessions only, keyed by the New York session date. Each symbol's
`SymbolHistory` row says how far the provider was asked and which splits the rows reflect.

- `history_sync` brings symbols up to the latest completed session at the fewest provider
  calls (`marketdata.history_plan` says how); the calls run in a bounded pool, every
  database write on the caller's thread (SQLite has one writer; a test, one connection).
- `history_splits_check` asks once, market-wide, for the splits since the last check; a
  stored symbol with a new split loses its rows, and the next sync fetches them again,
  adjusted. No other symbol's history is fetched again.
- `history_with_today` is what stock data is computed from: the stored sessions of the last
  `HISTORY_CALENDAR_DAYS` plus, while the session runs (and only then), today's bar so far
  from one stocks-snapshot call for the whole batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, market_hours
from marketdata.clients import get_massive_client
from marketdata.domain import DailyBar
from marketdata.entitlements import entitled_or
from marketdata.exceptions import TickerNotFound
from marketdata.history_plan import (
    HISTORY_CALENDAR_DAYS,
    HistoryPlan,
    checked_after,
    plan_history,
    settled_session,
)
from marketdata.models import SessionBar, SymbolHistory

# How long the day of the last splits check is kept (past that day it only says "check again").
SPLITS_CHECK_MEMORY = 2 * 24 * 60 * 60

# Stored with every refresh beside the watched symbols: the benchmark (beta) a later issue uses.
BENCHMARK_SYMBOL = "SPY"

_UPDATED = ("open", "high", "low", "close", "volume", "vwap", "transactions")
# The same statement on SQLite (3.24+) and PostgreSQL; names from the model, nothing from input.
_UPSERT = (
    f"INSERT INTO {SessionBar._meta.db_table} (symbol, session, {', '.join(_UPDATED)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(_UPDATED) + 2))}) "
    f"ON CONFLICT (symbol, session) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)}"
)
_COLUMNS = ("session", "open", "high", "low", "close", "volume", "vwap", "transactions")


# --- The table ---------------------------------------------------------------------------------
def history_stored_through(symbols: Sequence[str]) -> dict[str, date | None]:
    """How far each symbol's history was checked (None: nothing usable stored), in one query."""
    checked = dict(SymbolHistory.objects.filter(symbol__in=symbols).values_list("symbol", "checked_through"))
    return {symbol: checked.get(symbol) for symbol in symbols}


def history_store(symbol: str, bars: Iterable[DailyBar]) -> int:
    """Store (or overwrite) a symbol's sessions in one statement; return how many were written.

    An upsert by (symbol, session), run with `executemany`: a full history is ~500 rows, and
    `bulk_create(update_conflicts=True)` spends ten times the CPU on SQLite preparing each
    value and reading back ids nobody needs (the cold refresh's largest cost).
    """
    rows = [
        (symbol, connection.ops.adapt_datefield_value(bar.session), bar.open, bar.high, bar.low,
         bar.close, bar.volume, bar.vwap, bar.transactions)
        for bar in bars
    ]  # fmt: skip
    if rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
    return len(rows)


def history_forget(symbol: str) -> int:
    """Delete a symbol's stored sessions, so the next sync fetches them in full; return rows deleted."""
    deleted, _ = SessionBar.objects.filter(symbol=symbol).delete()
    SymbolHistory.objects.filter(symbol=symbol).update(checked_through=None)
    return deleted


def history_bars(symbol: str, *, since: date) -> list[DailyBar]:
    """A symbol's stored sessions from `since` on, oldest first."""
    return history_bars_many([symbol], since=since)[symbol]


def history_bars_many(symbols: Sequence[str], *, since: date) -> dict[str, list[DailyBar]]:
    """Several symbols' stored sessions from `since` on, oldest first, in one query."""
    found: dict[str, list[DailyBar]] = {symbol: [] for symbol in symbols}
    rows = (
        SessionBar.objects.filter(symbol__in=symbols, session__gte=since)
        .order_by("symbol", "session")
        .values_list("symbol", *_COLUMNS)
    )
    for symbol, *values in rows:
        found[symbol].append(DailyBar(*values))
    return found


# --- Sync --------------------------------------------------------------------------------------
@dataclass(slots=True)
class HistorySync:
    """What a sync did: its plan, the rows written per symbol, and per-symbol errors."""

    plan: HistoryPlan
    stored: dict[str, int] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Range:
    symbol: str
    first: date
    last: date


def history_sync(
    symbols: Sequence[str],
    *,
    now: datetime,
    deadline: Deadline | None = None,
    concurrency: int | None = None,
) -> HistorySync:
    """Bring the stored history of `symbols` up to the latest completed session at `now`.

    At most `concurrency` calls at once (default MARKETDATA_FETCH_CONCURRENCY). A symbol's
    failure is reported beside the others' results, never raised.
    """
    latest = market_hours.latest_completed_session(now)
    start = latest - timedelta(days=HISTORY_CALENDAR_DAYS)
    through = history_stored_through(symbols)
    completed = market_hours.sessions_between(start, latest)
    plan = plan_history(through, completed=completed)
    sync = HistorySync(plan)
    if not plan.calls:
        return sync
    settled = settled_session(completed, today=market_hours.market_date(now))
    client = get_massive_client()
    jobs: list[_Range | date] = [_Range(symbol, start, latest) for symbol in plan.full]
    jobs += [_Range(symbol, first, last) for symbol, (first, last) in plan.ranges.items()]
    jobs += list(plan.grouped)

    def call(job: _Range | date) -> tuple[_Range | date, Any]:
        try:
            if isinstance(job, _Range):
                return job, client.get_daily_bars(job.symbol, job.first, job.last, deadline=deadline)
            return job, client.get_grouped_daily(job, deadline=deadline)
        except MojoError as error:
            return job, error

    checked: dict[str, date] = {}
    grouped: dict[date, dict[str, DailyBar] | MojoError] = {}
    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    # HTTP in the pool; the rows are written here, on the caller's thread, as answers arrive.
    for job, answer in pooled(call, jobs, workers=workers, name="history"):
        if isinstance(job, date):
            grouped[job] = answer
        else:
            _take_range(sync, job, answer, previous=through[job.symbol], settled=settled, checked=checked)
    for symbol in plan.grouped_for:
        _take_grouped(sync, symbol, grouped, previous=through[symbol], settled=settled, checked=checked)
    _record_checked(checked, full=set(plan.full), now=now)
    return sync


def _take_range(
    sync: HistorySync,
    job: _Range,
    answer: list[DailyBar] | MojoError,
    *,
    previous: date | None,
    settled: date | None,
    checked: dict[str, date],
) -> None:
    """Store one per-symbol answer (a full history or a missing range) and how far it checked."""
    if isinstance(answer, TickerNotFound) and previous is not None:
        answer = []  # no trades in the missing range: nothing to store, the range was checked
    if isinstance(answer, MojoError):
        sync.errors[job.symbol] = answer
        return
    sync.stored[job.symbol] = history_store(job.symbol, answer)
    last_bar = answer[-1].session if answer else None
    reached = checked_after(previous, last_bar, asked=job.last, settled=settled)
    if reached is not None:
        checked[job.symbol] = reached


def _take_grouped(
    sync: HistorySync,
    symbol: str,
    grouped: dict[date, dict[str, DailyBar] | MojoError],
    *,
    previous: date | None,
    settled: date | None,
    checked: dict[str, date],
) -> None:
    """Store a symbol's bars of the grouped sessions, in order, up to the first that failed."""
    bars: list[DailyBar] = []
    reached = previous
    for session in sorted(grouped):
        market = grouped[session]
        if isinstance(market, MojoError):
            sync.errors[symbol] = market
            break
        if not market:
            break  # the provider has not published the session yet: ask again next time
        bar = market.get(symbol)
        if bar is not None:
            bars.append(bar)
        reached = checked_after(reached, bar.session if bar else None, asked=session, settled=settled)
    if bars:
        sync.stored[symbol] = history_store(symbol, bars)
    if reached is not None and reached != previous:
        checked[symbol] = reached


def _record_checked(checked: dict[str, date], *, full: set[str], now: datetime) -> None:
    """Write the symbols' `SymbolHistory` rows (a full fetch reflects the splits before today)."""
    if not checked:
        return
    yesterday = market_hours.market_date(now) - timedelta(days=1)
    existing = {row.symbol: row for row in SymbolHistory.objects.filter(symbol__in=list(checked))}
    rows = []
    for symbol, through in checked.items():
        row = existing.get(symbol) or SymbolHistory(symbol=symbol, splits_through=yesterday)
        row.checked_through = through
        if symbol in full:
            row.splits_through = max(row.splits_through, yesterday)
            row.fetched_at = now
        rows.append(row)
    SymbolHistory.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["symbol"],
        update_fields=["checked_through", "splits_through", "fetched_at", "updated_at"],
    )


# --- Splits ------------------------------------------------------------------------------------
def history_splits_check(*, now: datetime, deadline: Deadline | None = None) -> list[str]:
    """Ask for the market's splits since the last check; forget the history each new one makes wrong.

    One call a New York day, whatever the number of stored symbols (none when nothing is
    stored, or when today's check was made: the day is remembered in Redis). A split
    executed on or before today, after the date a symbol's rows reflect, makes its rows
    unadjusted: they are deleted and the next sync fetches them again, adjusted. Returns the
    symbols whose history was forgotten (their cached stock data is wrong too). Raises a
    ProviderError when the provider fails (nothing is changed: the next check asks again).
    """
    today = market_hours.market_date(now)
    if cache.get_value(cache.splits_checked_key()) == today.isoformat():
        return []  # once a day: splits are announced before they execute, at the open
    reflected = dict(SymbolHistory.objects.values_list("symbol", "splits_through"))
    if not reflected:  # what is fetched next reflects every split so far
        cache.set_value(cache.splits_checked_key(), today.isoformat(), timeout=SPLITS_CHECK_MEMORY)
        return []
    since = min(reflected.values()) + timedelta(days=1)
    splits = get_massive_client().list_splits(since=min(since, today), deadline=deadline)
    executed: dict[str, date] = defaultdict(lambda: date.min)
    for split in splits:
        if split.symbol in reflected and reflected[split.symbol] < split.execution_date <= today:
            executed[split.symbol] = max(executed[split.symbol], split.execution_date)
    for symbol, execution_date in executed.items():
        history_forget(symbol)
        # The refetch reflects this split: the same split must not make it forget again.
        SymbolHistory.objects.filter(symbol=symbol).update(splits_through=execution_date)
    # Through yesterday only: a split listed later today is still seen by tomorrow's check.
    yesterday = today - timedelta(days=1)
    SymbolHistory.objects.filter(~Q(symbol__in=list(executed)), splits_through__lt=yesterday).update(
        splits_through=yesterday
    )
    cache.set_value(cache.splits_checked_key(), today.isoformat(), timeout=SPLITS_CHECK_MEMORY)
    return sorted(executed)


# --- What stock data is computed from ----------------------------------------------------------
def history_with_today(
    symbols: Sequence[str],
    *,
    now: datetime,
    deadline: Deadline | None = None,
    sync_errors: Mapping[str, MojoError] | None = None,
) -> dict[str, list[DailyBar] | MojoError]:
    """Each symbol's stored sessions of the last 730 days plus, in session, today's bar so far.

    Syncs the history first (no call when it is up to date), unless the caller has just done
    so and passes the symbols it failed for, `sync_errors` (they stand: no symbol is asked twice). While the
    session runs, one stocks-snapshot call (split only when the URL would be too long) gives
    every symbol's partial bar (`todays_bars`); its failure fails the batch, so the cache
    serves the last entries stale.
    """
    if sync_errors is None:
        sync_errors = history_sync(symbols, now=now, deadline=deadline).errors
    today = market_hours.market_date(now)
    usable = [symbol for symbol in symbols if symbol not in sync_errors]
    errors = {symbol: sync_errors[symbol] for symbol in symbols if symbol in sync_errors}
    partial: dict[str, DailyBar] = {}
    if usable and market_hours.is_open(now):
        try:
            partial = todays_bars(usable, today=today, deadline=deadline)
        except MojoError as error:
            return {symbol: errors.get(symbol, error) for symbol in symbols}
    stored = history_bars_many(usable, since=today - timedelta(days=HISTORY_CALENDAR_DAYS))
    found: dict[str, list[DailyBar] | MojoError] = dict(errors)
    for symbol in usable:
        bars = stored[symbol]
        today_bar = partial.get(symbol)
        if today_bar is not None and (not bars or bars[-1].session < today_bar.session):
            bars.append(today_bar)
        found[symbol] = bars or TickerNotFound(details={"symbol": symbol})
    return found


def todays_bars(symbols: Sequence[str], *, today: date, deadline: Deadline | None) -> dict[str, DailyBar]:
    """Today's bar so far of each symbol that traded today: the stocks snapshot, or per-symbol aggs.

    A plan without the stocks snapshot gets one latest-aggs call per symbol instead (in the
    pool); a symbol with no bar today is left out either way.
    """
    client = get_massive_client()

    def one_by_one() -> dict[str, DailyBar]:
        def latest(symbol: str) -> tuple[str, DailyBar | None]:
            try:
                bars = client.get_daily_bars(symbol, today, today, deadline=deadline)
            except TickerNotFound:
                return symbol, None
            return symbol, bars[-1] if bars and bars[-1].session == today else None

        workers = settings.MARKETDATA_FETCH_CONCURRENCY
        answers = pooled(latest, list(symbols), workers=workers, name="todays_bars")
        return {symbol: bar for symbol, bar in answers if bar is not None}

    return entitled_or(
        "stocks_snapshot",
        lambda: client.get_stocks_snapshot(symbols, session=today, deadline=deadline),
        one_by_one,
    )


def session_closes(wanted: Iterable[tuple[str, date]]) -> dict[tuple[str, date], float]:
    """The stored close of each (symbol, session) asked; sessions not stored are left out."""
    pairs = set(wanted)
    if not pairs:
        return {}
    rows = SessionBar.objects.filter(
        symbol__in={symbol for symbol, _ in pairs}, session__in={day for _, day in pairs}
    ).values_list("symbol", "session", "close")
    return {(symbol, day): close for symbol, day, close in rows if (symbol, day) in pairs}
