"""Stored reference data: what each symbol is (ticker details) and its declared dividends.

- `ticker_details_ensure` asks the provider's ticker details of the symbols with none stored
  (a new symbol gets its row when it is validated; the refresh brings the others'), and
  `ticker_details_many` reads them.
- `dividends_sync` keeps each symbol's upcoming dividends at most a day old, asking the
  whole market or each symbol, whichever takes fewer calls; `dividends_upcoming_many` reads
  them. A symbol's upcoming rows are replaced by each answer (a cancelled declaration
  disappears); past rows are kept.

Calls run in a bounded pool, every database write on the caller's thread (SQLite has one
writer; a test, one connection). A plan without ticker details or dividends skips them:
`marketdata.entitlements` logs the lack once and remembers it for a day, and the first call
alone finds it out (not one call per symbol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, TypeVar

from django.conf import settings
from django.db import transaction

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, clock
from marketdata.clients import get_massive_client
from marketdata.clients.massive import DIVIDENDS_PAGE_SIZE
from marketdata.dividend_schedule import DeclaredDividend, dividend_schedule
from marketdata.domain import Dividend, TickerDetails
from marketdata.entitlements import entitlement_lack_record, entitlement_lacking
from marketdata.exceptions import NotEntitled
from marketdata.models import Dividend as DividendRow
from marketdata.models import DividendCheck, SymbolDetails

T = TypeVar("T")

TICKER_DETAILS = "ticker_details"
DIVIDENDS = "dividends"
# Pages of a market-wide dividends answer until one was seen: a couple of thousand declared
# dividends go ex in the coming weeks, 1,000 a page.
MARKET_PAGES_GUESS = 2

_DETAILS_FIELDS = ("name", "type", "active", "primary_exchange", "fetched_at")


# --- Ticker details ----------------------------------------------------------------------------
def ticker_details_many(symbols: Iterable[str]) -> dict[str, TickerDetails]:
    """The stored details of those of `symbols` that have them, in one query."""
    rows = SymbolDetails.objects.filter(symbol__in=list(symbols)).values_list(
        "symbol", "name", "type", "active", "primary_exchange"
    )
    return {
        symbol: TickerDetails(symbol, name or None, kind or None, active, exchange or None)
        for symbol, name, kind, active, exchange in rows
    }


def ticker_details_store(details: Mapping[str, TickerDetails], *, now: datetime) -> int:
    """Store (or overwrite) the details of each symbol, in one statement; return how many."""
    rows = [
        SymbolDetails(
            symbol=symbol,
            name=(found.name or "")[: SymbolDetails._meta.get_field("name").max_length],
            type=(found.type or "")[: SymbolDetails._meta.get_field("type").max_length],
            active=found.active,
            primary_exchange=(found.primary_exchange or "")[
                : SymbolDetails._meta.get_field("primary_exchange").max_length
            ],
            fetched_at=now,
        )
        for symbol, found in details.items()
    ]
    if rows:
        SymbolDetails.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["symbol"], update_fields=list(_DETAILS_FIELDS)
        )
    return len(rows)


def ticker_details_ensure(
    symbols: Iterable[str], *, deadline: Deadline | None = None, concurrency: int | None = None
) -> dict[str, MojoError]:
    """Fetch and store the ticker details of the symbols that have none stored; return the errors.

    One call per such symbol, at most `concurrency` at once (default
    MARKETDATA_FETCH_CONCURRENCY); a symbol's failure is returned beside the others' rows,
    never raised. A plan without ticker details is skipped (and remembered), not an error.
    """
    wanted = list(dict.fromkeys(symbols))
    stored = set(SymbolDetails.objects.filter(symbol__in=wanted).values_list("symbol", flat=True))
    missing = [symbol for symbol in wanted if symbol not in stored]
    if not missing or entitlement_lacking(TICKER_DETAILS):
        return {}
    client = get_massive_client()
    answers = _ask_each(
        lambda symbol: client.get_ticker_details(symbol, deadline=deadline),
        missing,
        concurrency=concurrency,
        name="ticker_details",
    )
    found = {symbol: answer for symbol, answer in answers.items() if isinstance(answer, TickerDetails)}
    ticker_details_store(found, now=clock.now())
    return _errors(answers, endpoint=TICKER_DETAILS)


# --- Dividends ---------------------------------------------------------------------------------
@dataclass(slots=True)
class DividendSync:
    """What a dividends sync did: the symbols due, how it asked, the rows it stored, per-symbol errors."""

    due: list[str] = field(default_factory=list)
    asked: Literal["nothing", "per_symbol", "market"] = "nothing"
    stored: int = 0
    errors: dict[str, MojoError] = field(default_factory=dict)
    not_entitled: bool = False


def dividends_sync(
    symbols: Iterable[str],
    *,
    today: date,
    checked_since: date | None = None,
    deadline: Deadline | None = None,
    concurrency: int | None = None,
) -> DividendSync:
    """Bring the upcoming dividends of `symbols` up to `today` (New York), at most once a day each.

    Only symbols not checked on or after `checked_since` (default `today`) are due. They are
    asked one call each, or in one market-wide answer (`ex_dividend_date >= today`, every
    page), whichever is fewer calls: market-wide costs the pages its last answer took
    (MARKET_PAGES_GUESS before one is seen). Each answered symbol's upcoming rows are
    replaced in one transaction; a failed symbol keeps its rows and is due again. A plan
    without dividends is skipped.
    """
    wanted = list(dict.fromkeys(symbols))
    checked = DividendCheck.objects.filter(symbol__in=wanted, checked_on__gte=checked_since or today)
    done = set(checked.values_list("symbol", flat=True))
    sync = DividendSync(due=[symbol for symbol in wanted if symbol not in done])
    if not sync.due:
        return sync
    if entitlement_lacking(DIVIDENDS):
        sync.not_entitled = True
        return sync
    client = get_massive_client()
    answers: dict[str, list[Dividend] | MojoError]
    if len(sync.due) <= dividends_market_pages():
        sync.asked = "per_symbol"
        answers = _ask_each(
            lambda symbol: client.list_dividends(
                ex_dividend_date_gte=today, ticker=symbol, deadline=deadline
            ),
            sync.due,
            concurrency=concurrency,
            name="dividends",
        )
    else:
        sync.asked = "market"
        answers = _dividends_of_market(sync.due, today=today, deadline=deadline)
    sync.errors = _errors(answers, endpoint=DIVIDENDS)
    sync.not_entitled = any(isinstance(answer, NotEntitled) for answer in answers.values())
    found = {symbol: answer for symbol, answer in answers.items() if not isinstance(answer, MojoError)}
    sync.stored = dividends_store(found, today=today)
    return sync


def dividends_market_pages() -> int:
    """What a market-wide dividends answer costs: the pages of the last one (a guess before any)."""
    pages = cache.get_value(cache.dividends_market_pages_key())
    return pages if isinstance(pages, int) and pages > 0 else MARKET_PAGES_GUESS


def _dividends_of_market(
    due: Sequence[str], *, today: date, deadline: Deadline | None
) -> dict[str, list[Dividend] | MojoError]:
    """The due symbols' upcoming dividends out of one market-wide answer; its failure is each one's."""
    try:
        dividends = get_massive_client().list_dividends(ex_dividend_date_gte=today, deadline=deadline)
    except MojoError as error:
        return dict.fromkeys(due, error)
    # Pages of 1,000: a full last page is followed by an empty one, so this never undercounts.
    cache.set_value(cache.dividends_market_pages_key(), len(dividends) // DIVIDENDS_PAGE_SIZE + 1)
    found: dict[str, list[Dividend] | MojoError] = {symbol: [] for symbol in due}
    for dividend in dividends:
        answer = found.get(dividend.symbol)
        if isinstance(answer, list):
            answer.append(dividend)
    return found


@transaction.atomic
def dividends_store(answers: Mapping[str, Sequence[Dividend]], *, today: date) -> int:
    """Replace the upcoming dividends of the answered symbols and mark them checked `today`.

    Rows going ex before `today` are kept. Returns the upcoming rows written.
    """
    if not answers:
        return 0
    rows: dict[tuple[str, date, str], DividendRow] = {}
    for symbol, dividends in answers.items():
        for dividend in dividends:
            if dividend.ex_dividend_date >= today:
                # One row per (symbol, ex-date, type): a repeated record is the same declaration.
                rows[(symbol, dividend.ex_dividend_date, dividend.dividend_type)] = _dividend_row(
                    symbol, dividend
                )
    DividendRow.objects.filter(symbol__in=list(answers), ex_dividend_date__gte=today).delete()
    DividendRow.objects.bulk_create(rows.values())
    DividendCheck.objects.bulk_create(
        [DividendCheck(symbol=symbol, checked_on=today) for symbol in answers],
        update_conflicts=True,
        unique_fields=["symbol"],
        update_fields=["checked_on"],
    )
    return len(rows)


def _dividend_row(symbol: str, dividend: Dividend) -> DividendRow:
    return DividendRow(
        symbol=symbol,
        ex_dividend_date=dividend.ex_dividend_date,
        cash_amount=dividend.cash_amount,
        declaration_date=dividend.declaration_date,
        record_date=dividend.record_date,
        pay_date=dividend.pay_date,
        frequency=dividend.frequency,
        dividend_type=dividend.dividend_type,
    )


def dividends_upcoming_many(symbols: Iterable[str], *, today: date) -> dict[str, list[tuple[date, float]]]:
    """Each symbol's stored dividends going ex on or after `today`: (ex-date, cash amount), soonest first."""
    found: dict[str, list[tuple[date, float]]] = {symbol: [] for symbol in symbols}
    rows = (
        DividendRow.objects.filter(symbol__in=list(found), ex_dividend_date__gte=today)
        .order_by("symbol", "ex_dividend_date", "dividend_type")
        .values_list("symbol", "ex_dividend_date", "cash_amount")
    )
    for symbol, ex_dividend_date, cash_amount in rows:
        found[symbol].append((ex_dividend_date, cash_amount))
    return found


def dividend_schedules_many(
    symbols: Iterable[str], *, today: date, until: date
) -> dict[str, list[tuple[date, float]]]:
    """Each symbol's expected dividends after `today` through `until`: declared, then projected
    (`marketdata.dividend_schedule`), for the option models. One query."""
    wanted = list(dict.fromkeys(symbols))
    declared: dict[str, list[DeclaredDividend]] = {symbol: [] for symbol in wanted}
    # A year back finds the last regular dividend of any payer, annual ones included.
    rows = DividendRow.objects.filter(
        symbol__in=wanted, ex_dividend_date__gt=today - timedelta(days=400)
    ).values_list("symbol", "ex_dividend_date", "cash_amount", "frequency", "dividend_type")
    for symbol, ex_dividend_date, cash_amount, frequency, dividend_type in rows:
        declared[symbol].append(DeclaredDividend(ex_dividend_date, cash_amount, frequency, dividend_type))
    return {symbol: dividend_schedule(found, today=today, until=until) for symbol, found in declared.items()}


# --- Asking ------------------------------------------------------------------------------------
def _ask_each(
    ask: Callable[[str], T], symbols: Sequence[str], *, concurrency: int | None, name: str
) -> dict[str, T | MojoError]:
    """`ask(symbol)` of each symbol, the first alone: a plan lacking the endpoint costs one call.

    The rest run in the bounded pool; each failure is that symbol's answer.
    """

    def call(symbol: str) -> tuple[str, T | MojoError]:
        try:
            return symbol, ask(symbol)
        except MojoError as error:
            return symbol, error

    first, answer = call(symbols[0])
    answers: dict[str, T | MojoError] = {first: answer}
    if isinstance(answer, NotEntitled) or len(symbols) == 1:
        return answers
    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    answers.update(pooled(call, symbols[1:], workers=workers, name=name))
    return answers


def _errors(answers: Mapping[str, object], *, endpoint: str) -> dict[str, MojoError]:
    """The failed answers; a plan lacking `endpoint` is remembered (logged once) and is no error."""
    errors = {symbol: answer for symbol, answer in answers.items() if isinstance(answer, MojoError)}
    if any(isinstance(error, NotEntitled) for error in errors.values()):
        entitlement_lack_record(endpoint)
    return {symbol: error for symbol, error in errors.items() if not isinstance(error, NotEntitled)}
