"""Massive's reference endpoints as the sandbox serves them: stock splits and ticker details.

The splits (`/v3/reference/splits`) are those executed by the request's today: the one in the
generated history and the live ones the control API made happen. Filtered, sorted and paginated
like the provider's v3 lists, with absolute `next_url` cursors that carry the filters.

Ticker details (`/v3/reference/tickers/{ticker}`) describe each symbol of the universe from its
profile: name, type code (ETF or CS), primary exchange (a MIC) and a seeded listing date. The
control API can override any of those fields (`DETAILS_FIELDS`) per symbol: a fund type mojo
does not accept, a delisted symbol.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from devtools.sandbox import data, splits
from devtools.sandbox.splits import Split
from devtools.sandbox.wire import (
    RANGE_OPS,
    BadRequest,
    Request,
    Response,
    encode_cursor,
    int_param,
    json_response,
    list_params,
    massive_error,
    request_id,
)

SPLITS_PATH = re.compile(r"^/v3/reference/splits/?$")


TICKER_PATH = re.compile(r"^/v3/reference/tickers/(?P<ticker>[^/]+)/?$")


SPLITS_LIMIT_DEFAULT = 10


SPLITS_LIMIT_MAX = 1000


SPLITS_PARAMS = frozenset(
    {"limit", "order", "sort", "reverse_split"}
    | {f"ticker{op}" for op in RANGE_OPS}
    | {f"execution_date{op}" for op in RANGE_OPS}
)


SplitTest = Callable[[Split], bool]


def _ticker_test(compare: Callable[[Any, Any], bool], bound: str) -> SplitTest:
    return lambda split: compare(split.ticker, bound)


def _date_test(compare: Callable[[Any, Any], bool], bound: date) -> SplitTest:
    return lambda split: compare(split.execution_date, bound)


def _reverse_test(reverse: bool) -> SplitTest:
    return lambda split: (split.split_from > split.split_to) == reverse


def _splits_filter(params: dict[str, str]) -> SplitTest:
    """Compile the filter parameters into one predicate."""
    tests: list[SplitTest] = []
    for op, compare in RANGE_OPS.items():
        if (raw := params.get(f"ticker{op}")) is not None:
            tests.append(_ticker_test(compare, raw))
        if (raw := params.get(f"execution_date{op}")) is not None:
            try:
                bound = date.fromisoformat(raw)
            except ValueError:
                raise BadRequest(f"execution_date{op} must be a date in YYYY-MM-DD format.") from None
            tests.append(_date_test(compare, bound))
    if (raw := params.get("reverse_split")) is not None:
        if raw.lower() not in ("true", "false"):
            raise BadRequest("reverse_split must be true or false.")
        tests.append(_reverse_test(raw.lower() == "true"))
    return lambda split: all(test(split) for test in tests)


def _sort_key(sort: str) -> Callable[[Split], tuple[str, str, str]]:
    if sort == "ticker":
        return lambda s: (s.ticker, s.execution_date.isoformat(), s.id)
    return lambda s: (s.execution_date.isoformat(), s.ticker, s.id)


def stock_splits(request: Request) -> Response:
    """`GET /v3/reference/splits`: newest first by default (sort execution_date, order desc)."""
    params, offset = list_params(request, SPLITS_PARAMS)
    limit = int_param(params, "limit", SPLITS_LIMIT_DEFAULT, 1, SPLITS_LIMIT_MAX)
    sort = params.get("sort", "execution_date")
    if sort not in ("execution_date", "ticker"):
        raise BadRequest("sort must be execution_date or ticker.")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    keep = _splits_filter(params)
    selected = sorted(
        (split for split in splits.executed(request.today, request.splits) if keep(split)),
        key=_sort_key(sort),
        reverse=order == "desc",
    )
    payload: dict[str, Any] = {
        "results": [split.wire() for split in selected[offset : offset + limit]],
        "status": "OK",
        "request_id": request_id(),
    }
    if offset + limit < len(selected):
        cursor = encode_cursor(params, offset + limit)
        payload["next_url"] = f"{request.host_url}/v3/reference/splits?cursor={cursor}"
    return json_response(payload)


# The fields of a ticker's details the control API may override (the provider's schema, but the ticker).
DETAILS_FIELDS = frozenset(
    {"active", "address", "branding", "cik", "composite_figi", "currency_name", "delisted_utc"}
    | {"description", "homepage_url", "list_date", "locale", "market", "market_cap", "name"}
    | {"phone_number", "primary_exchange", "round_lot", "share_class_figi", "share_class_shares_outstanding"}
    | {"sic_code", "sic_description", "ticker_root", "ticker_suffix", "total_employees", "type"}
    | {"weighted_shares_outstanding"}
)


# Where the universe's symbols list (ISO 10383 MICs): Nasdaq's, NYSE Arca's funds, NYSE for the rest.
NASDAQ = frozenset(
    {"QQQ", "AAPL", "MSFT", "NVDA", "GOOGL", "AMZN", "META", "TSLA", "AMD", "NFLX", "WMT", "COST"}
    | {"PEP", "INTC", "CSCO", "ADBE", "AVGO", "QCOM", "SBUX", "PYPL", "PLTR", "COIN", "MU"}
    | {"KALU", "CASS", "ATNI", "ASTE"}
)


# Listing dates are seeded between these, so every symbol traded through the generated history.
_LISTED_FROM = date(1980, 1, 2)
_LISTED_SPAN_DAYS = (data.SPAN_START - _LISTED_FROM).days


def _primary_exchange(profile: data.SymbolProfile) -> str:
    if profile.symbol in NASDAQ:
        return "XNAS"
    if profile.is_etf:
        return "ARCX"
    if data.is_generated(profile.symbol):  # about half the companies list on Nasdaq, as the 57's do
        return "XNAS" if _digest("exchange", profile.symbol) % 2 else "XNYS"
    return "XNYS"


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:4], "big")


def _list_date(symbol: str) -> date:
    """A weekday before the generated history starts, the same for a symbol every time."""
    offset = _digest("list_date", symbol)
    day = _LISTED_FROM + timedelta(days=offset % _LISTED_SPAN_DAYS)
    return day - timedelta(days=max(0, day.weekday() - 4))


def ticker_details_record(profile: data.SymbolProfile) -> dict[str, Any]:
    """The `results` object of `/v3/reference/tickers/{ticker}` for one universe symbol."""
    root, _, suffix = profile.symbol.partition(".")
    record: dict[str, Any] = {
        "ticker": profile.symbol,
        "name": profile.name,
        "market": "stocks",
        "locale": "us",
        "primary_exchange": _primary_exchange(profile),
        "type": "ETF" if profile.is_etf else "CS",
        "active": True,
        "currency_name": "usd",
        "list_date": _list_date(profile.symbol).isoformat(),
        "round_lot": 100,
        "ticker_root": root,
    }
    if suffix:
        record["ticker_suffix"] = suffix
    return record


def ticker_details(request: Request, *, ticker: str) -> Response:
    """`GET /v3/reference/tickers/{ticker}`: one symbol's details, or 404 NOT_FOUND."""
    if (raw := request.query.get("date")) is not None:
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise BadRequest("date must be a date in YYYY-MM-DD format.") from None
    profile = request.universe.profile(ticker)
    if profile is None:
        return massive_error(404, "Ticker not found.")
    record = {**ticker_details_record(profile), **request.details.get(ticker, {})}
    results = {key: value for key, value in record.items() if value is not None}
    return json_response({"request_id": request_id(), "results": results, "status": "OK"})
