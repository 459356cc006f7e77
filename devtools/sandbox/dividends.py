"""Massive's cash dividends (`GET /v3/reference/dividends`) as the sandbox serves them.

The universe's dividend payers (the index ETFs and the mature companies in `YIELDS`; growth
names such as TSLA, PLTR or COIN pay none) pay quarterly, on a schedule seeded by the symbol over
the whole generated span: the ex-dividend date on a session of the same months every year, the
declaration about four weeks before it, the record date on the ex-date (T+1 settlement) and the
pay date about two weeks after. The amount is the yield × the price at the start of the year / 4,
in cents, flat within the year and as paid: not adjusted for later splits (AVGO paid ten times
more per share before its 10-for-1).

A dividend is listed once declared (declaration date ≤ the request's today), so there is always
history and, between a declaration and its ex-date, one upcoming. Filtered, sorted (newest
ex-date first by default) and paginated like the other v3 lists, with absolute `next_url`
cursors that carry the filters.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.splits import Split, level, of_symbol
from devtools.sandbox.wire import (
    RANGE_OPS,
    BadRequest,
    Request,
    Response,
    encode_cursor,
    int_param,
    json_response,
    list_params,
    request_id,
)

DIVIDENDS_PATH = re.compile(r"^/v3/reference/dividends/?$")


DIVIDENDS_LIMIT_DEFAULT = 10


DIVIDENDS_LIMIT_MAX = 1000


# Annual yield and the month of the first ex-date of the year (1–3; the others every 3 months).
YIELDS: dict[str, tuple[float, int]] = {
    "SPY": (0.012, 3), "QQQ": (0.006, 3), "IWM": (0.011, 3), "AAPL": (0.004, 3),
    "MSFT": (0.007, 2), "NVDA": (0.0002, 3), "GOOGL": (0.003, 3), "META": (0.003, 3),
    "JPM": (0.019, 1), "BAC": (0.02, 3), "XOM": (0.034, 2), "CVX": (0.044, 2),
    "WMT": (0.009, 3), "COST": (0.005, 2), "HD": (0.026, 3), "DIS": (0.009, 1),
    "KO": (0.029, 3), "PEP": (0.038, 3), "CSCO": (0.021, 1), "ORCL": (0.009, 1),
    "AVGO": (0.007, 3), "QCOM": (0.021, 3), "V": (0.007, 2), "MA": (0.005, 1),
    "UNH": (0.026, 3), "JNJ": (0.025, 2), "PFE": (0.068, 2), "MRK": (0.032, 3),
    "CAT": (0.01, 1), "GE": (0.005, 3), "NKE": (0.025, 3), "SBUX": (0.029, 2),
    "MU": (0.002, 1), "T": (0.044, 1), "VZ": (0.066, 1), "A": (0.007, 1),
    "KALU": (0.03, 1), "PLOW": (0.036, 3), "HVT": (0.055, 2), "CASS": (0.03, 3),
    "ATNI": (0.045, 3), "MOV": (0.07, 1), "CAL": (0.02, 3), "ASTE": (0.012, 2),
}  # fmt: skip


SORTS = ("ex_dividend_date", "pay_date", "declaration_date", "record_date", "cash_amount", "ticker")


_DATE_FIELDS = ("ex_dividend_date", "record_date", "declaration_date", "pay_date")


DIVIDENDS_PARAMS = frozenset(
    {"limit", "order", "sort", "frequency", "dividend_type"}
    | {f"{name}{op}" for name in ("ticker", "cash_amount", *_DATE_FIELDS) for op in RANGE_OPS}
)


@dataclass(frozen=True, slots=True)
class Dividend:
    """One quarterly cash dividend; `base` is its amount at the walk's (split-free) price level."""

    ticker: str
    declaration_date: date
    ex_dividend_date: date
    pay_date: date
    base: float

    @property
    def id(self) -> str:
        """A stable identifier in the provider's style ("E" and 64 hex digits)."""
        key = f"dividend|{self.ticker}|{self.ex_dividend_date.isoformat()}"
        return "E" + hashlib.sha256(key.encode()).hexdigest()

    def wire(self, live: tuple[Split, ...]) -> dict[str, Any]:
        """The record the endpoint answers (exactly the keys the client's model takes)."""
        factor = level(self.ticker, self.ex_dividend_date, live)  # the price level of the ex-date
        return {
            "cash_amount": max(0.01, round(self.base * factor, 2)),
            "currency": "USD",
            "declaration_date": self.declaration_date.isoformat(),
            "dividend_type": "CD",
            "ex_dividend_date": self.ex_dividend_date.isoformat(),
            "frequency": 4,
            "id": self.id,
            "pay_date": self.pay_date.isoformat(),
            "record_date": self.ex_dividend_date.isoformat(),
            "ticker": self.ticker,
        }


def _seed(*parts: object) -> int:
    """A stable 64-bit seed for the parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _session_on_or_after(day: date) -> date:
    while data.session_hours(day) is None:
        day += timedelta(days=1)
    return day


def _weekday(day: date, step: int) -> date:
    """`day`, or the nearest weekday in the direction of `step` (±1)."""
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def _year(
    symbol: str, year: int, rng: random.Random, *, annual_yield: float, first_month: int, day_of_month: int
) -> list[Dividend]:
    """The four dividends of one year, at the yield times the price the year started at."""
    base = annual_yield * data.walk_close(symbol, date(year - 1, 12, 31)) / 4
    dividends = []
    for quarter in range(4):
        month = first_month + 3 * quarter
        ex = _session_on_or_after(date(year, month, day_of_month + rng.randint(-2, 2)))
        declared = _weekday(ex - timedelta(days=28 + rng.randint(-3, 3)), -1)
        paid = _weekday(ex + timedelta(days=14 + rng.randint(-2, 4)), 1)
        dividends.append(Dividend(symbol, declared, ex, paid, base))
    return dividends


# Dividends are paid from the span's first year to the one before its last, where the NYSE
# calendar stops too; an ex-date always falls in its own year (the last by about 26 December).
_YEARS = range(data.SPAN_START.year, data.SPAN_END.year)


@functools.cache
def schedule(symbol: str) -> tuple[Dividend, ...]:
    """Every dividend of one of the 57's payers over the generated span, oldest first (() for
    non-payers and generated symbols: see `generated_dividends`)."""
    if symbol not in YIELDS:
        return ()
    annual_yield, first_month = YIELDS[symbol]
    rng = random.Random(_seed("dividends", symbol))
    day_of_month = rng.randint(6, 20)
    dividends = []
    for year in _YEARS:
        dividends.extend(
            _year(
                symbol,
                year,
                rng,
                annual_yield=annual_yield,
                first_month=first_month,
                day_of_month=day_of_month,
            )
        )
    return tuple(dividends)


@dataclass(frozen=True, slots=True)
class DividendTerms:
    """A generated payer's terms: its annual yield, first ex-date month (1–3) and day of month."""

    annual_yield: float
    first_month: int
    day_of_month: int


# The 57 by kind (funds, companies), sorted by volatility: a generated symbol pays like its neighbours.
_BY_VOLATILITY = {
    is_etf: sorted((p for p in data.UNIVERSE.values() if p.is_etf == is_etf), key=lambda p: p.volatility)
    for is_etf in (False, True)
}


@functools.lru_cache(maxsize=32768)
def generated_terms(symbol: str) -> DividendTerms | None:
    """Whether and how a generated symbol pays: like one of the three of the 57 of its kind
    nearest in volatility (so funds and mature companies pay, growth names do not), its yield
    jittered; None for a non-payer or a symbol that is not generated."""
    profile = data.profile_of(symbol)
    if profile is None or not data.is_generated(symbol):
        return None
    rng = random.Random(_seed("dividends", "terms", symbol))
    peers = sorted(_BY_VOLATILITY[profile.is_etf], key=lambda p: abs(p.volatility - profile.volatility))
    like = rng.choice(peers[:3]).symbol
    if like not in YIELDS:
        return None
    annual_yield = round(YIELDS[like][0] * math.exp(rng.gauss(0.0, 0.3)), 4)
    return DividendTerms(annual_yield, rng.randint(1, 3), rng.randint(6, 20))


@functools.lru_cache(maxsize=16384)
def generated_dividends(symbol: str, year: int) -> tuple[Dividend, ...]:
    """A generated payer's dividends of one year (each year on its own seed: any one is cheap)."""
    terms = generated_terms(symbol)
    if terms is None or year not in _YEARS:
        return ()
    rng = random.Random(_seed("dividends", symbol, year))
    return tuple(
        _year(
            symbol,
            year,
            rng,
            annual_yield=terms.annual_yield,
            first_month=terms.first_month,
            day_of_month=terms.day_of_month,
        )
    )


@functools.lru_cache(maxsize=64)
def declared(today: date, live: tuple[Split, ...] = ()) -> tuple[dict[str, Any], ...]:
    """The wire records of every dividend declared by `today`, by ticker then ex-date (shared)."""
    return tuple(
        dividend.wire(of_symbol(symbol, live))
        for symbol in sorted(YIELDS)
        for dividend in schedule(symbol)
        if dividend.declaration_date <= today
    )


def _ex_years(params: dict[str, str], today: date) -> range:
    """The years whose ex-dates the filters can let through (valid bounds: `_filter` checked them)."""
    low, high = _YEARS.start, min(_YEARS.stop - 1, (today + timedelta(days=45)).year)  # declared by today
    for op in ("", ".gte", ".gt"):
        if (raw := params.get(f"ex_dividend_date{op}")) is not None:
            low = max(low, date.fromisoformat(raw).year)
    for op in ("", ".lte", ".lt"):
        if (raw := params.get(f"ex_dividend_date{op}")) is not None:
            high = min(high, date.fromisoformat(raw).year)
    return range(low, high + 1)


def _declared_records(request: Request, params: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The wire records of the dividends declared by the request's today: the 57's (cached), then
    the generated payers' of the years the ex-date filters allow (all of them, or the one asked)."""
    yield from declared(request.today, request.splits)
    universe = request.universe
    asked = params.get("ticker")
    symbols = universe.generated if asked is None else (asked,) if asked in universe else ()
    years = _ex_years(params, request.today)
    for symbol in symbols:
        if generated_terms(symbol) is None:
            continue
        live = of_symbol(symbol, request.splits)
        for year in years:
            for dividend in generated_dividends(symbol, year):
                if dividend.declaration_date <= request.today:
                    yield dividend.wire(live)


Test = Callable[[dict[str, Any]], bool]


def _test(name: str, compare: Callable[[Any, Any], bool], bound: Any) -> Test:
    return lambda record: compare(record[name], bound)


def _bound(name: str, op: str, raw: str) -> Any:
    """A filter's bound as the records hold it: ISO dates stay strings (they sort as dates)."""
    try:
        if name in _DATE_FIELDS:
            return date.fromisoformat(raw).isoformat()
        return float(raw) if name == "cash_amount" else raw
    except ValueError:
        kind = "a date in YYYY-MM-DD format" if name in _DATE_FIELDS else "a number"
        raise BadRequest(f"{name}{op} must be {kind}.") from None


def _filter(params: dict[str, str]) -> Test:
    """Compile the filter parameters into one predicate over wire records."""
    tests = [
        _test(name, compare, _bound(name, op, params[f"{name}{op}"]))
        for name in ("ticker", "cash_amount", *_DATE_FIELDS)
        for op, compare in RANGE_OPS.items()
        if f"{name}{op}" in params
    ]
    if (raw := params.get("frequency")) is not None:
        if raw not in ("0", "1", "2", "4", "12"):
            raise BadRequest("frequency must be one of 0, 1, 2, 4 or 12.")
        tests.append(_test("frequency", lambda a, b: a == b, int(raw)))
    if (raw := params.get("dividend_type")) is not None:
        if raw not in ("CD", "SC", "LT", "ST"):
            raise BadRequest("dividend_type must be one of CD, SC, LT or ST.")
        tests.append(_test("dividend_type", lambda a, b: a == b, raw))
    return lambda record: all(test(record) for test in tests)


def stock_dividends(request: Request) -> Response:
    """`GET /v3/reference/dividends`: newest ex-date first by default (order desc)."""
    params, offset = list_params(request, DIVIDENDS_PARAMS)
    limit = int_param(params, "limit", DIVIDENDS_LIMIT_DEFAULT, 1, DIVIDENDS_LIMIT_MAX)
    sort = params.get("sort", "ex_dividend_date")
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}.")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    keep = _filter(params)
    selected = sorted(
        (record for record in _declared_records(request, params) if keep(record)),
        key=lambda r: (r[sort], r["ticker"], r["ex_dividend_date"]),
        reverse=order == "desc",
    )
    payload: dict[str, Any] = {
        "results": selected[offset : offset + limit],
        "status": "OK",
        "request_id": request_id(),
    }
    if offset + limit < len(selected):
        cursor = encode_cursor(params, offset + limit)
        payload["next_url"] = f"{request.host_url}/v3/reference/dividends?cursor={cursor}"
    return json_response(payload)
