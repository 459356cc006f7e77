"""The sandbox's provider endpoints: Massive and FMP paths, parameters, status codes and bodies.

Each function turns a parsed request into a `Response` (status, headers, body bytes). The
server adds what needs the socket or the clock (latency, hangs, resets, "down").
Chain records are serialised once per (symbol, today) and pages are joined from the bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from devtools.sandbox import data

JSON_TYPE = "application/json; charset=utf-8"
CHAIN_LIMIT_DEFAULT = 10
CHAIN_LIMIT_MAX = 250
AGGS_LIMIT_DEFAULT = 5000
AGGS_LIMIT_MAX = 50000
TIMESPANS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")

AGGS_PATH = re.compile(
    r"^/v2/aggs/ticker/(?P<ticker>[^/]+)/range/(?P<multiplier>[^/]+)/(?P<timespan>[^/]+)"
    r"/(?P<start>[^/]+)/(?P<end>[^/]+)/?$"
)
CONTRACT_PATH = re.compile(r"^/v3/snapshot/options/(?P<underlying>[^/]+)/(?P<contract>[^/]+)/?$")
CHAIN_PATH = re.compile(r"^/v3/snapshot/options/(?P<underlying>[^/]+)/?$")
FMP_EARNINGS_PATH = re.compile(r"^/stable/earnings/?$")
FMP_LEGACY_PATH = re.compile(r"^/api/v3/historical/earning_calendar/(?P<symbol>[^/]+)/?$")

MASSIVE_MESSAGES: dict[int, tuple[str, str, str]] = {
    # status: (status field, key, text) as the provider words them
    400: ("ERROR", "error", "Bad request."),
    401: ("ERROR", "error", "API Key was not provided"),
    403: (
        "NOT_AUTHORIZED",
        "message",
        "You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing",
    ),
    404: ("NOT_FOUND", "message", "The requested resource was not found."),
    429: (
        "ERROR",
        "error",
        "You've exceeded the maximum requests per minute, please wait or upgrade your "
        "subscription to continue. https://massive.com/pricing",
    ),
    500: ("ERROR", "error", "Internal server error"),
    502: ("ERROR", "error", "Bad gateway"),
    503: ("ERROR", "error", "Service unavailable"),
    504: ("ERROR", "error", "Gateway timeout"),
}
FMP_MESSAGES: dict[int, str] = {
    400: "Invalid or missing query parameter.",
    401: (
        "Invalid API KEY. Feel free to create a Free API Key or visit "
        "https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more information."
    ),
    403: (
        "Exclusive Endpoint : This endpoint is not available under your current subscription agreement, "
        "please visit our subscription page to upgrade your plan or contact us at "
        "https://site.financialmodelingprep.com/developer/docs/pricing"
    ),
    404: "Not found.",
    429: (
        "Limit Reach . Please upgrade your plan or visit our documentation for more details at "
        "https://site.financialmodelingprep.com/developer/docs/pricing "
    ),
    503: "Service temporarily unavailable.",
}
FMP_LEGACY_MESSAGE = (
    "Legacy Endpoint : Due to Legacy endpoints being no longer supported - This endpoint is only "
    "available for legacy users who have valid subscriptions prior August 31, 2025. Please visit our "
    "documentation page https://site.financialmodelingprep.com/developer/docs for our current APIs."
)
# A body cut off mid-record: what a truncated upstream response looks like.
NOT_JSON = b'{"status":"OK","request_id":"0","results":[{"break_even_price":1.0,"day":{"chan'


@dataclass(frozen=True, slots=True)
class Response:
    """A provider answer; `reset` asks the server to drop the connection instead."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


@dataclass(frozen=True, slots=True)
class Request:
    """What the routes need of an HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str
    host_url: str  # scheme://host:port the client used, for absolute next_url links
    today: date
    now: datetime | None = None


class BadRequest(ValueError):
    """A parameter the provider would reject with 400."""


def request_id() -> str:
    """A fresh request id, as both providers put in their bodies."""
    return uuid.uuid4().hex


def is_fmp(path: str) -> bool:
    """True for paths FMP serves (they answer in FMP's error style)."""
    return path.startswith(("/stable/", "/api/"))


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def massive_error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """Massive's error body for `status`: {"status": …, "request_id": …, "error"|"message": …}."""
    kind, key, default = MASSIVE_MESSAGES.get(status, ("ERROR", "error", "Request failed."))
    return _json({"status": kind, "request_id": request_id(), key: message or default}, status, headers)


def fmp_error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """FMP's error body for `status`: {"Error Message": …}."""
    return _json({"Error Message": message or FMP_MESSAGES.get(status, "Request failed.")}, status, headers)


def error_for(path: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """The error body of whichever provider serves `path`."""
    return fmp_error(status, headers=headers) if is_fmp(path) else massive_error(status, headers=headers)


def format_retry_after(seconds: float) -> str:
    """Whole seconds as an integer (what urllib3 parses); fractions as written."""
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def not_json() -> Response:
    """A 200 whose body is not JSON."""
    return Response(200, NOT_JSON, {"Content-Type": JSON_TYPE})


def authorized(request: Request) -> bool:
    """Massive: `Authorization: Bearer <key>` or `?apiKey=`; FMP: `?apikey=`; keys non-empty."""
    if is_fmp(request.path):
        return bool(request.query.get("apikey", "").strip())
    scheme, _, key = request.authorization.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return True
    return bool(request.query.get("apiKey", "").strip())


def route(request: Request, *, malformed: Callable[[str], int], legacy_fmp: bool) -> Response:
    """Answer an authorised provider request (no faults involved)."""
    if request.method != "GET":
        return error_for(request.path, 405)
    try:
        if match := AGGS_PATH.match(request.path):
            return aggs(request, **match.groupdict())
        if match := CONTRACT_PATH.match(request.path):
            return option_contract(request, **match.groupdict())
        if match := CHAIN_PATH.match(request.path):
            symbol = match["underlying"]
            return options_chain(request, symbol, malformed=malformed(symbol))
        if FMP_EARNINGS_PATH.match(request.path):
            return fmp_earnings(request)
        if match := FMP_LEGACY_PATH.match(request.path):
            return fmp_legacy(request, match["symbol"], enabled=legacy_fmp)
    except BadRequest as exc:
        return fmp_error(400, str(exc)) if is_fmp(request.path) else massive_error(400, str(exc))
    return error_for(request.path, 404)


# --- Massive: aggregates -----------------------------------------------------------------


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


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be an integer.") from None
    if not low <= value <= high:
        raise BadRequest(f"'{name}' must be between {low} and {high}.")
    return value


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
    adjusted = query.get("adjusted", "true").lower() != "false"
    order = query.get("sort", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("sort must be asc or desc.")
    limit = _int_param(query, "limit", AGGS_LIMIT_DEFAULT, 1, AGGS_LIMIT_MAX)
    rows = [bar for bar in data.daily_bars(ticker, request.today, request.now) if low <= bar["t"] <= high]
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
    return _json(payload)


# --- Massive: options chain and single contract ------------------------------------------


@dataclass(frozen=True, slots=True)
class _ChainIndex:
    records: tuple[dict[str, Any], ...]
    bodies: tuple[bytes, ...]
    expirations: tuple[str, ...]
    types: tuple[str, ...]
    strikes: tuple[float, ...]
    by_ticker: dict[str, int]
    orders: dict[str, tuple[int, ...]]


@functools.lru_cache(maxsize=256)
def _chain_index(symbol: str, today: date) -> _ChainIndex:
    records = data.chain_records(symbol, today)
    details = [record["details"] for record in records]
    expirations = tuple(d["expiration_date"] for d in details)
    strikes = tuple(float(d["strike_price"]) for d in details)
    indices = range(len(records))
    return _ChainIndex(
        records=records,
        bodies=tuple(json.dumps(record, separators=(",", ":")).encode() for record in records),
        expirations=expirations,
        types=tuple(d["contract_type"] for d in details),
        strikes=strikes,
        by_ticker={d["ticker"]: i for i, d in enumerate(details)},
        # records are already in ticker order; the others tie-break on it
        orders={
            "ticker": tuple(indices),
            "expiration_date": tuple(sorted(indices, key=lambda i: expirations[i])),
            "strike_price": tuple(sorted(indices, key=lambda i: strikes[i])),
        },
    )


def _malformed_body(record: dict[str, Any], position: int) -> bytes:
    """A record typed conversion must reject: a non-numeric strike, or no details at all."""
    broken = dict(record)
    if position % 2 == 0:
        broken["details"] = {**record["details"], "strike_price": "not-a-number"}
    else:
        del broken["details"]
    return json.dumps(broken, separators=(",", ":")).encode()


_RANGE_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "": lambda value, bound: value == bound,
    ".gte": lambda value, bound: value >= bound,
    ".gt": lambda value, bound: value > bound,
    ".lte": lambda value, bound: value <= bound,
    ".lt": lambda value, bound: value < bound,
}
CHAIN_PARAMS = frozenset(
    {"contract_type", "limit", "order", "sort"}
    | {f"expiration_date{op}" for op in _RANGE_OPS}
    | {f"strike_price{op}" for op in _RANGE_OPS}
)


Test = Callable[[_ChainIndex, int], bool]


def _expiry_test(compare: Callable[[Any, Any], bool], bound: str) -> Test:
    return lambda index, i: compare(index.expirations[i], bound)


def _strike_test(compare: Callable[[Any, Any], bool], bound: float) -> Test:
    return lambda index, i: compare(index.strikes[i], bound)


def _type_test(contract_type: str) -> Test:
    return lambda index, i: index.types[i] == contract_type


def _chain_filter(params: dict[str, str]) -> Test:
    """Compile the chain's filter parameters into a predicate over record positions."""
    tests: list[Test] = []
    for op, compare in _RANGE_OPS.items():
        if (raw := params.get(f"expiration_date{op}")) is not None:
            try:
                bound_date = date.fromisoformat(raw).isoformat()
            except ValueError:
                raise BadRequest(f"expiration_date{op} must be a date in YYYY-MM-DD format.") from None
            tests.append(_expiry_test(compare, bound_date))
        if (raw := params.get(f"strike_price{op}")) is not None:
            try:
                bound_strike = float(raw)
            except ValueError:
                raise BadRequest(f"strike_price{op} must be a number.") from None
            tests.append(_strike_test(compare, bound_strike))
    if (contract_type := params.get("contract_type")) is not None:
        if contract_type not in ("call", "put"):
            raise BadRequest("contract_type must be call or put.")
        tests.append(_type_test(contract_type))
    return lambda idx, i: all(test(idx, i) for test in tests)


def _encode_cursor(params: dict[str, str], offset: int) -> str:
    raw = json.dumps({**params, "offset": offset}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dict[str, str], int]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(decoded.pop("offset"))
        params = {str(k): str(v) for k, v in decoded.items() if k in CHAIN_PARAMS}
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise BadRequest("Invalid cursor.") from None
    if offset < 0:
        raise BadRequest("Invalid cursor.")
    return params, offset


def options_chain(request: Request, symbol: str, *, malformed: int = 0) -> Response:
    """`GET /v3/snapshot/options/{T}`: filtered, sorted, paginated with an absolute next_url."""
    if "cursor" in request.query:
        params, offset = _decode_cursor(request.query["cursor"])
    else:
        params = {k: v for k, v in request.query.items() if k in CHAIN_PARAMS}
        offset = 0
    limit = _int_param(params, "limit", CHAIN_LIMIT_DEFAULT, 1, CHAIN_LIMIT_MAX)
    sort = params.get("sort", "ticker")
    if sort not in ("ticker", "expiration_date", "strike_price"):
        raise BadRequest("sort must be ticker, expiration_date or strike_price.")
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    keep = _chain_filter(params)
    rid = request_id().encode()
    if symbol not in data.UNIVERSE:
        return Response(
            200, b'{"results":[],"status":"OK","request_id":"' + rid + b'"}', {"Content-Type": JSON_TYPE}
        )
    index = _chain_index(symbol, request.today)
    positions = index.orders[sort]
    if order == "desc":
        positions = positions[::-1]
    selected = [i for i in positions if keep(index, i)]
    page = selected[offset : offset + limit]
    bodies = [
        _malformed_body(index.records[i], offset + n) if offset + n < malformed else index.bodies[i]
        for n, i in enumerate(page)
    ]
    body = b'{"results":[' + b",".join(bodies) + b'],"status":"OK","request_id":"' + rid + b'"'
    if offset + limit < len(selected):
        cursor = _encode_cursor(params, offset + limit)
        next_url = f"{request.host_url}/v3/snapshot/options/{symbol}?cursor={cursor}"
        body += b',"next_url":' + json.dumps(next_url).encode()
    return Response(200, body + b"}", {"Content-Type": JSON_TYPE})


def option_contract(request: Request, *, underlying: str, contract: str) -> Response:
    """`GET /v3/snapshot/options/{T}/{O:…}`: one snapshot, or 404 NOT_FOUND."""
    position = None
    if underlying in data.UNIVERSE:
        position = _chain_index(underlying, request.today).by_ticker.get(contract)
    if position is None:
        return massive_error(404, f"No option contract {contract} for underlying {underlying}.")
    body = _chain_index(underlying, request.today).bodies[position]
    rid = request_id().encode()
    return Response(
        200,
        b'{"request_id":"' + rid + b'","results":' + body + b',"status":"OK"}',
        {"Content-Type": JSON_TYPE},
    )


# --- FMP: earnings -----------------------------------------------------------------------


def _limited(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    raw = query.get("limit", "")
    if raw.isdigit():
        return rows[: int(raw)]
    return rows


def fmp_earnings(request: Request) -> Response:
    """`GET /stable/earnings?symbol=&limit=`: rows newest first (unknown symbols: [])."""
    symbol = request.query.get("symbol", "").strip().upper()
    if not symbol:
        raise BadRequest("Invalid or missing query parameter - symbol")
    # FMP spells class shares with a dash (BRK-B); the universe keys them as Massive does (BRK.B).
    rows = data.earnings(symbol.replace("-", "."), request.today)
    return _json(_limited([{**row, "symbol": symbol} for row in rows], request.query))


def fmp_legacy(request: Request, symbol: str, *, enabled: bool) -> Response:
    """`GET /api/v3/historical/earning_calendar/{T}`: 403 "Legacy Endpoint" unless enabled."""
    if not enabled:
        return fmp_error(403, FMP_LEGACY_MESSAGE)
    rows = data.legacy_earnings(symbol.upper().replace("-", "."), request.today)
    return _json(_limited([{**row, "symbol": symbol.upper()} for row in rows], request.query))
