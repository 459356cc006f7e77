"""The sandbox's provider endpoints: Massive's and FMP's paths, dispatched to their answers.

Each function turns a parsed request into a `Response` (status, headers, body bytes). The
server adds what needs the socket or the clock (latency, hangs, resets, "down"). The options
chain and contract snapshots are in `chain`, the universal snapshot in `universal`, grouped daily
and the stocks snapshot in `stocks`, splits and ticker details in `reference`, dividends in
`dividends`, FMP's earnings in `fmp`; the wire format in `wire`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.chain import option_contract, options_chain
from devtools.sandbox.dividends import DIVIDENDS_PATH, stock_dividends
from devtools.sandbox.fmp import (
    FMP_CALENDAR_PATH,
    FMP_EARNINGS_PATH,
    FMP_LEGACY_PATH,
    fmp_earnings,
    fmp_earnings_calendar,
    fmp_legacy,
)
from devtools.sandbox.reference import SPLITS_PATH, TICKER_PATH, stock_splits, ticker_details
from devtools.sandbox.stocks import GROUPED_PATH, SNAPSHOT_PATH, grouped_daily, stocks_snapshot
from devtools.sandbox.universal import UNIVERSAL_PATH, universal_snapshot
from devtools.sandbox.wire import (
    BadRequest,
    Request,
    Response,
    adjusted_param,
    error_for,
    fmp_error,
    int_param,
    is_fmp,
    json_response,
    massive_error,
    request_id,
)

AGGS_LIMIT_DEFAULT = 5000


AGGS_LIMIT_MAX = 50000


TIMESPANS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


AGGS_PATH = re.compile(
    r"^/v2/aggs/ticker/(?P<ticker>[^/]+)/range/(?P<multiplier>[^/]+)/(?P<timespan>[^/]+)"
    r"/(?P<start>[^/]+)/(?P<end>[^/]+)/?$"
)


CONTRACT_PATH = re.compile(r"^/v3/snapshot/options/(?P<underlying>[^/]+)/(?P<contract>[^/]+)/?$")


CHAIN_PATH = re.compile(r"^/v3/snapshot/options/(?P<underlying>[^/]+)/?$")


def route(request: Request, *, malformed: Callable[[str], int], legacy_fmp: bool) -> Response:
    """Answer an authorised provider request (no faults involved)."""
    if request.method != "GET":
        return error_for(request.path, 405)
    try:
        if match := AGGS_PATH.match(request.path):
            return aggs(request, **match.groupdict())
        if match := GROUPED_PATH.match(request.path):
            return grouped_daily(request, **match.groupdict())
        if SNAPSHOT_PATH.match(request.path):
            return stocks_snapshot(request)
        if UNIVERSAL_PATH.match(request.path):
            return universal_snapshot(request)
        if SPLITS_PATH.match(request.path):
            return stock_splits(request)
        if DIVIDENDS_PATH.match(request.path):
            return stock_dividends(request)
        if match := TICKER_PATH.match(request.path):
            return ticker_details(request, **match.groupdict())
        if match := CONTRACT_PATH.match(request.path):
            return option_contract(request, **match.groupdict())
        if match := CHAIN_PATH.match(request.path):
            symbol = match["underlying"]
            return options_chain(request, symbol, malformed=malformed(symbol))
        if FMP_EARNINGS_PATH.match(request.path):
            return fmp_earnings(request)
        if FMP_CALENDAR_PATH.match(request.path):
            return fmp_earnings_calendar(request)
        if match := FMP_LEGACY_PATH.match(request.path):
            return fmp_legacy(request, match["symbol"], enabled=legacy_fmp)
    except BadRequest as exc:
        return fmp_error(400, str(exc)) if is_fmp(request.path) else massive_error(400, str(exc))
    return error_for(request.path, 404)


def _bound(raw: str, name: str) -> int:
    """A window bound as Unix ms: YYYY-MM-DD means midnight New York (where daily bars start)."""
    if raw.isdigit():
        return int(raw)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"
        ) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=data.NEW_YORK).timestamp()) * 1000


def aggs(request: Request, *, ticker: str, multiplier: str, timespan: str, start: str, end: str) -> Response:
    """`GET /v2/aggs/ticker/{T}/range/{m}/{timespan}/{from}/{to}`: daily bars only."""
    if not multiplier.isdigit() or int(multiplier) < 1:
        raise BadRequest("multiplier must be a positive integer.")
    if timespan not in TIMESPANS:
        raise BadRequest(f"timespan must be one of {', '.join(TIMESPANS)}.")
    if (int(multiplier), timespan) != (1, "day"):
        raise BadRequest("The sandbox serves daily bars only (multiplier 1, timespan day).")
    low, high = _bound(start, "from"), _bound(end, "to")
    query = request.query
    adjusted = adjusted_param(query)
    order = query.get("sort", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("sort must be asc or desc.")
    limit = int_param(query, "limit", AGGS_LIMIT_DEFAULT, 1, AGGS_LIMIT_MAX)
    bars: list[dict[str, Any]] = []
    if ticker in request.universe:
        bars = data.daily_bars(ticker, request.today, request.now, adjusted=adjusted, splits=request.splits)
    rows = [bar for bar in bars if low <= bar["t"] <= high]
    if order == "desc":
        rows.reverse()
    rows = rows[:limit]
    payload: dict[str, Any] = {
        "ticker": ticker,
        "queryCount": len(rows),
        "resultsCount": len(rows),
        "adjusted": adjusted,
    }
    if rows:
        payload["results"] = rows
    payload["status"] = "OK"
    payload["request_id"] = request_id()
    if rows:
        payload["count"] = len(rows)
    return json_response(payload)
