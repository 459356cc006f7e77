"""The providers' wire format as the sandbox speaks it: requests, responses, error bodies, keys.

Shared by the routes (`routes`, `chain`); the server turns a `Response` into bytes on the socket.
"""

from __future__ import annotations

import base64
import binascii
import json
import operator
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from devtools.sandbox.splits import Split
from devtools.sandbox.universe import DEFAULT, Universe

JSON_TYPE = "application/json; charset=utf-8"


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


# FMP's answer to a plan without the endpoint (402 or 403, depending on the plan).
FMP_RESTRICTED = (
    "Restricted Endpoint: This endpoint is not available under your current subscription please "
    "visit our subscription page to upgrade your plan at https://site.financialmodelingprep.com/pricing-plans"
)


# The most rows FMP's earnings calendar answers (its documented cap): a full answer means "split the window".
FMP_CALENDAR_CAP = 3000


# Filter suffixes of Massive's list endpoints (`expiration_date.gte=…`): how a value meets its bound.
RANGE_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "": operator.eq,
    ".gte": operator.ge,
    ".gt": operator.gt,
    ".lte": operator.le,
    ".lt": operator.lt,
}


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
    splits: tuple[Split, ...] = ()  # live splits made by the control API, in order
    # The control API's other switches the answers depend on.
    details: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # ticker-details overrides
    calendar_cap: int = FMP_CALENDAR_CAP
    universe: Universe = DEFAULT  # the symbols served: the 57 and the server's generated ones


class BadRequest(ValueError):
    """A parameter the provider would reject with 400."""


def request_id() -> str:
    """A fresh request id, as both providers put in their bodies."""
    return uuid.uuid4().hex


def is_fmp(path: str) -> bool:
    """True for paths FMP serves (they answer in FMP's error style)."""
    return path.startswith(("/stable/", "/api/"))


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON body with the providers' content type."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


def massive_error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """Massive's error body for `status`: {"status": …, "request_id": …, "error"|"message": …}."""
    kind, key, default = MASSIVE_MESSAGES.get(status, ("ERROR", "error", "Request failed."))
    return json_response(
        {"status": kind, "request_id": request_id(), key: message or default}, status, headers
    )


def fmp_error(status: int, message: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """FMP's error body for `status`: {"Error Message": …}."""
    return json_response(
        {"Error Message": message or FMP_MESSAGES.get(status, "Request failed.")}, status, headers
    )


def error_for(path: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """The error body of whichever provider serves `path`."""
    return fmp_error(status, headers=headers) if is_fmp(path) else massive_error(status, headers=headers)


def not_entitled(path: str, status: int = 403) -> Response:
    """The answer to a request outside the plan: Massive's 403 NOT_AUTHORIZED, or FMP's `status`
    (402 or 403) "Restricted Endpoint"."""
    return fmp_error(status, FMP_RESTRICTED) if is_fmp(path) else massive_error(403)


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


def adjusted_param(query: dict[str, str]) -> bool:
    """Massive's `adjusted` flag: split-adjusted unless it says false."""
    return query.get("adjusted", "true").lower() != "false"


def int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; BadRequest otherwise."""
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


def encode_cursor(params: dict[str, str], offset: int) -> str:
    """An opaque `cursor` for next_url: the page's filter parameters and where it starts."""
    raw = json.dumps({**params, "offset": offset}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def list_params(request: Request, allowed: Collection[str]) -> tuple[dict[str, str], int]:
    """A v3 list's parameters and offset: from its `cursor` when following `next_url`, else the query."""
    if "cursor" in request.query:
        return decode_cursor(request.query["cursor"], allowed)
    return {k: v for k, v in request.query.items() if k in allowed}, 0


def decode_cursor(cursor: str, allowed: Collection[str]) -> tuple[dict[str, str], int]:
    """The parameters (only the `allowed` ones) and offset of a cursor; BadRequest if it is bad."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(decoded.pop("offset"))
        params = {str(k): str(v) for k, v in decoded.items() if k in allowed}
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise BadRequest("Invalid cursor.") from None
    if offset < 0:
        raise BadRequest("Invalid cursor.")
    return params, offset
