"""FMP's earnings endpoints as the sandbox serves them: per symbol, the market-wide calendar, legacy.

- `/stable/earnings?symbol=` answers one company's reports, newest first (`data.earnings`);
- `/stable/earnings-calendar?from=&to=` answers every company reporting in the window, oldest
  first, with the same dates and figures; FMP caps a window at 90 days and an answer at 3,000
  rows (`Request.calendar_cap`, lowered by the control API so tests can see the cut);
- `/api/v3/historical/earning_calendar/{T}` answers its 403 "Legacy Endpoint" unless enabled.

FMP spells class shares with a dash (BRK-B); the universe keys them as Massive does (BRK.B).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.wire import BadRequest, Request, Response, fmp_error, json_response

FMP_EARNINGS_PATH = re.compile(r"^/stable/earnings/?$")


FMP_CALENDAR_PATH = re.compile(r"^/stable/earnings-calendar/?$")


FMP_LEGACY_PATH = re.compile(r"^/api/v3/historical/earning_calendar/(?P<symbol>[^/]+)/?$")


CALENDAR_MAX_DAYS = 90


FMP_LEGACY_MESSAGE = (
    "Legacy Endpoint : Due to Legacy endpoints being no longer supported - This endpoint is only "
    "available for legacy users who have valid subscriptions prior August 31, 2025. Please visit our "
    "documentation page https://site.financialmodelingprep.com/developer/docs for our current APIs."
)


def _limited(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    raw = query.get("limit", "")
    if raw.isdigit():
        return rows[: int(raw)]
    return rows


def _fmp_symbol(symbol: str) -> str:
    """A universe symbol as FMP spells it (BRK.B → BRK-B)."""
    return symbol.replace(".", "-")


def fmp_earnings(request: Request) -> Response:
    """`GET /stable/earnings?symbol=&limit=`: rows newest first (unknown symbols: [])."""
    symbol = request.query.get("symbol", "").strip().upper()
    if not symbol:
        raise BadRequest("Invalid or missing query parameter - symbol")
    dotted = symbol.replace("-", ".")
    rows = data.earnings(dotted, request.today, splits=request.splits) if dotted in request.universe else []
    return json_response(_limited([{**row, "symbol": symbol} for row in rows], request.query))


def _window_day(query: dict[str, str], name: str) -> date:
    raw = query.get(name, "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"Invalid or missing query parameter - {name} (YYYY-MM-DD)") from None


def fmp_earnings_calendar(request: Request) -> Response:
    """`GET /stable/earnings-calendar?from=&to=`: every report in [from, to], oldest first, at most
    `request.calendar_cap` rows (the rest cut off); a window over 90 days or reversed is a 400."""
    start, end = _window_day(request.query, "from"), _window_day(request.query, "to")
    if start > end:
        raise BadRequest("Invalid query parameters - from must not be after to")
    if (end - start).days > CALENDAR_MAX_DAYS:
        raise BadRequest(
            f"Invalid query parameters - the range between from and to is at most {CALENDAR_MAX_DAYS} days"
        )
    rows = [
        {**row, "symbol": _fmp_symbol(symbol)}
        for symbol, profile in request.universe.profiles.items()
        if not profile.is_etf
        for row in data.earnings(symbol, request.today, splits=request.splits, between=(start, end))
    ]
    rows.sort(key=lambda row: (row["date"], row["symbol"]))
    return json_response(rows[: request.calendar_cap])


def fmp_legacy(request: Request, symbol: str, *, enabled: bool) -> Response:
    """`GET /api/v3/historical/earning_calendar/{T}`: 403 "Legacy Endpoint" unless enabled."""
    if not enabled:
        return fmp_error(403, FMP_LEGACY_MESSAGE)
    dotted = symbol.upper().replace("-", ".")
    served = dotted in request.universe
    rows = data.legacy_earnings(dotted, request.today, splits=request.splits) if served else []
    return json_response(_limited([{**row, "symbol": symbol.upper()} for row in rows], request.query))
