"""Financial Modeling Prep: upcoming earnings report dates, per symbol or for the whole market.

Per symbol, the current endpoint (``/stable/earnings?symbol=``) is asked first; the legacy one
(``/api/v3/historical/earning_calendar/{T}``) only when the stable one answers 403/404. The
market-wide calendar (``/stable/earnings-calendar?from=&to=``) is asked in windows of at most
90 days, a full answer (FMP's row cap) split in halves and asked again; a plan without it
answers 402/403, which is `NotEntitled`, not an auth error.
Requests go through the shared retry policy. FMP takes its key as the ``apikey`` query
parameter, so the key is redacted from every URL, log line and exception text this module
(or requests/urllib3 under it) produces. No key configured → `EarningsUnavailable` (warned
once, when the client is built); FMP failing → `ProviderUnavailable` and friends — the
service decides what users see.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator
from datetime import date, timedelta
from typing import Any

import requests
from django.conf import settings

from core.deadline import Deadline
from core.redaction import redact
from marketdata.clients.retry import (
    Call,
    RetryPolicy,
    Timeouts,
    TransportError,
    UpstreamResponse,
    send_with_retry,
)
from marketdata.exceptions import EarningsUnavailable, MalformedResponse, NotEntitled, ProviderAuthError
from marketdata.metrics import MALFORMED_RECORDS

logger = logging.getLogger("marketdata.clients.fmp")

PROVIDER = "fmp"
STABLE_PATH = "/stable/earnings"
LEGACY_PATH = "/api/v3/historical/earning_calendar/{symbol}"
CALENDAR_PATH = "/stable/earnings-calendar"
# The calendar's widest window: `to` at most this many days after `from`.
CALENDAR_MAX_DAYS = 90
# The name the calendar is known by in `marketdata.entitlements` (and the sandbox's counters).
CALENDAR_ENTITLEMENT = "fmp_earnings_calendar"

# What a redacted key reads as in this client's exception texts.
REDACTED = "REDACTED"


class _RedactApiKeyFilter(logging.Filter):
    """Redact ``apikey=`` from urllib3's own DEBUG lines (they print request URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "apikey=" in message.lower():
            record.msg = redact(message, (), marker=REDACTED)
            record.args = None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactApiKeyFilter())


def fmp_symbol(symbol: str) -> str:
    """Return FMP's spelling of a symbol: class shares take a dash (BRK.B → BRK-B)."""
    return symbol.replace(".", "-")


def mojo_symbol(symbol: str) -> str:
    """Return mojo's spelling of an FMP symbol: class shares take a dot (BRK-B → BRK.B)."""
    return symbol.strip().upper().replace("-", ".")


def calendar_windows(
    start: date, end: date, *, max_days: int = CALENDAR_MAX_DAYS
) -> Iterator[tuple[date, date]]:
    """Split [start, end] into consecutive windows whose `to` is at most `max_days` after `from`."""
    while start <= end:
        piece_end = min(end, start + timedelta(days=max_days))
        yield start, piece_end
        start = piece_end + timedelta(days=1)


class FMPClient:
    """Upcoming earnings dates from FMP."""

    def __init__(
        self, *, api_key: str, base_url: str, policy: RetryPolicy | None = None, row_cap: int | None = None
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        # None: FMP_EARNINGS_CALENDAR_ROW_CAP, read at each call (clients are shared per settings).
        self.row_cap = row_cap
        self.session = requests.Session()
        if not api_key:
            logger.warning("FMP_API_KEY is not set: earnings dates will show as unknown")

    @classmethod
    def from_settings(cls) -> FMPClient:
        """Build a client from the current Django settings."""
        return cls(
            api_key=settings.FMP_API_KEY,
            base_url=settings.FMP_BASE_URL,
            policy=RetryPolicy.from_settings(),
        )

    def upcoming_earnings(self, ticker: str, today: date, *, deadline: Deadline | None = None) -> list[date]:
        """Return the report dates on or after `today`, ascending ([] when none are known).

        Raises EarningsUnavailable without a key; ProviderUnavailable, ProviderRateLimited,
        ProviderAuthError or MalformedResponse when FMP cannot answer.
        """
        if not self.api_key:
            raise EarningsUnavailable("No FMP API key is configured.")
        symbol = fmp_symbol(ticker)
        # FMP's 403 on the stable endpoint means "use the legacy one", not a wrong key.
        response = self._get(
            STABLE_PATH, {"symbol": symbol}, "earnings", ticker, deadline, auth_statuses=(401,)
        )
        endpoint = "earnings"
        if response.status in (403, 404):
            logger.info(
                "fmp earnings %s: stable endpoint answered %d; trying the legacy one",
                ticker,
                response.status,
                extra={"provider": PROVIDER, "endpoint": "earnings", "symbol": ticker},
            )
            endpoint = "earnings_legacy"
            response = self._get(LEGACY_PATH.format(symbol=symbol), {}, endpoint, ticker, deadline)
            if response.status == 404:
                return []
        if response.status in (401, 403):
            raise ProviderAuthError(f"FMP rejected mojo's API key (HTTP {response.status}).")
        if not 200 <= response.status < 300:
            raise MalformedResponse(f"FMP answered HTTP {response.status}.")
        return self._report_dates(response, today, endpoint=endpoint, symbol=ticker)

    def earnings_calendar(
        self, start: date, end: date, *, deadline: Deadline | None = None
    ) -> dict[str, list[date]]:
        """Return every symbol's report dates in [start, end] (mojo's spelling), sorted and distinct.

        One call per window of at most 90 days; a full answer (FMP_EARNINGS_CALENDAR_ROW_CAP rows)
        is split in halves and asked again, and a full one-day answer is kept with a warning.
        Raises EarningsUnavailable without a key; NotEntitled on 402/403 (the plan lacks the
        calendar); ProviderUnavailable, ProviderRateLimited, ProviderAuthError (401) or
        MalformedResponse when FMP cannot answer.
        """
        if not self.api_key:
            raise EarningsUnavailable("No FMP API key is configured.")
        cap = max(1, int(settings.FMP_EARNINGS_CALENDAR_ROW_CAP if self.row_cap is None else self.row_cap))
        found: dict[str, set[date]] = {}
        for window_start, window_end in calendar_windows(start, end):
            for rows in self._calendar_answers(window_start, window_end, cap, deadline):
                for symbol, reported in self._calendar_dates(rows):
                    if start <= reported <= end:
                        found.setdefault(symbol, set()).add(reported)
        return {symbol: sorted(dates) for symbol, dates in sorted(found.items())}

    def _calendar_answers(
        self, start: date, end: date, cap: int, deadline: Deadline | None
    ) -> Iterator[list[Any]]:
        """The rows of [start, end], one answer under the cap at a time: a full one is split in halves."""
        rows = self._calendar_rows(start, end, deadline)
        if len(rows) >= cap and start < end:
            half = start + (end - start) // 2
            yield from self._calendar_answers(start, half, cap, deadline)
            yield from self._calendar_answers(half + timedelta(days=1), end, cap, deadline)
            return
        if len(rows) >= cap:
            logger.warning(
                "fmp earnings_calendar %s: %d rows, FMP's cap; some reports of that day may be missing",
                start.isoformat(),
                len(rows),
                extra={"provider": PROVIDER, "endpoint": "earnings_calendar", "symbol": "market"},
            )
        yield rows

    def _calendar_rows(self, start: date, end: date, deadline: Deadline | None) -> list[Any]:
        """One calendar call for [start, end]: its rows, or the error its status means."""
        params = {"from": start.isoformat(), "to": end.isoformat()}
        # 402/403 mean "not in the plan" (NotEntitled), so only a 401 is logged as a key problem.
        response = self._get(
            CALENDAR_PATH, params, "earnings_calendar", "market", deadline, auth_statuses=(401,)
        )
        if response.status in (402, 403):
            raise NotEntitled(
                f"mojo's FMP plan does not include the earnings calendar (HTTP {response.status}).",
                details={"endpoint": CALENDAR_ENTITLEMENT},
            )
        if response.status == 401:
            raise ProviderAuthError("FMP rejected mojo's API key (HTTP 401).")
        if not 200 <= response.status < 300:
            raise MalformedResponse(f"FMP answered HTTP {response.status}.")
        return self._rows(response)

    def _calendar_dates(self, rows: list[Any]) -> Iterator[tuple[str, date]]:
        """(symbol, report date) of each calendar row; malformed rows are counted and skipped."""
        for row in rows:
            try:
                symbol = row["symbol"]
                if not isinstance(symbol, str) or not symbol.strip():
                    raise ValueError("no symbol")
                reported = date.fromisoformat(str(row["date"])[:10])
            except (TypeError, KeyError, ValueError):
                self._skipped("earnings_calendar", "market")
                continue
            yield mojo_symbol(symbol), reported

    def _get(
        self,
        path: str,
        params: dict[str, str],
        endpoint: str,
        symbol: str,
        deadline: Deadline | None,
        *,
        auth_statuses: Collection[int] = (401, 403),
    ) -> UpstreamResponse:
        """GET base+path with the key, under the retry policy; return the final response."""
        url = self.base_url + path
        query = {**params, "apikey": self.api_key}

        def send(timeouts: Timeouts) -> UpstreamResponse:
            failure: TransportError | None = None
            try:
                resp = self.session.get(url, params=query, timeout=(timeouts.connect, timeouts.read))
            except requests.Timeout as exc:
                failure = TransportError(self._redact(f"timed out: {exc}"), timeout=True)
            except (requests.RequestException, OSError) as exc:
                failure = TransportError(self._redact(f"{type(exc).__name__}: {exc}"))
            if failure is not None:
                # Raised outside the handler: requests' exception (its text holds the key in
                # the URL) must not ride along as __context__.
                raise failure
            return UpstreamResponse(resp.status_code, dict(resp.headers.items()), resp.content)

        return send_with_retry(
            send,
            call=Call(PROVIDER, endpoint, symbol, auth_statuses=auth_statuses),
            policy=self.policy,
            deadline=deadline,
        )

    def _report_dates(
        self, response: UpstreamResponse, today: date, *, endpoint: str, symbol: str
    ) -> list[date]:
        """Return the sorted, distinct dates ≥ today of an earnings array."""
        dates: set[date] = set()
        for row in self._rows(response):
            try:
                reported = date.fromisoformat(str(row["date"])[:10])
            except (TypeError, KeyError, ValueError):
                self._skipped(endpoint, symbol)
                continue
            if reported >= today:
                dates.add(reported)
        return sorted(dates)

    @staticmethod
    def _rows(response: UpstreamResponse) -> list[Any]:
        """The JSON array of a 2xx earnings answer, or MalformedResponse."""
        try:
            rows = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise MalformedResponse("FMP sent earnings mojo cannot read (not JSON).") from None
        if not isinstance(rows, list):
            # FMP reports some errors as a 200 with {"Error Message": ...}; never echo it (keys).
            raise MalformedResponse("FMP sent earnings mojo cannot read.")
        return rows

    @staticmethod
    def _skipped(endpoint: str, symbol: str) -> None:
        """Count and log one malformed earnings row."""
        MALFORMED_RECORDS.labels(PROVIDER, endpoint).inc()
        logger.warning(
            "fmp %s %s: skipped malformed earnings row",
            endpoint,
            symbol,
            extra={"provider": PROVIDER, "endpoint": endpoint, "symbol": symbol},
        )

    def _redact(self, text: str) -> str:
        return redact(text, [self.api_key], marker=REDACTED)

    def __repr__(self) -> str:
        return f"FMPClient(base_url={self.base_url!r}, api_key={'set' if self.api_key else 'unset'})"
