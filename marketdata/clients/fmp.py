"""Financial Modeling Prep: upcoming earnings report dates.

The current endpoint (``/stable/earnings?symbol=``) is asked first; the legacy one
(``/api/v3/historical/earning_calendar/{T}``) only when the stable one answers 403/404.
Requests go through the shared retry policy. FMP takes its key as the ``apikey`` query
parameter, so the key is redacted from every URL, log line and exception text this module
(or requests/urllib3 under it) produces. No key configured → `EarningsUnavailable` (warned
once, when the client is built); FMP failing → `ProviderUnavailable` and friends — the
service decides what users see.
"""

from __future__ import annotations

import json
import logging
from datetime import date

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
from marketdata.exceptions import EarningsUnavailable, MalformedResponse, ProviderAuthError
from marketdata.metrics import MALFORMED_RECORDS

logger = logging.getLogger("marketdata.clients.fmp")

PROVIDER = "fmp"
STABLE_PATH = "/stable/earnings"
LEGACY_PATH = "/api/v3/historical/earning_calendar/{symbol}"

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


class FMPClient:
    """Upcoming earnings dates from FMP."""

    def __init__(self, *, api_key: str, base_url: str, policy: RetryPolicy | None = None) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
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
        response = self._get(STABLE_PATH, {"symbol": symbol}, "earnings", ticker, deadline)
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

    def _get(
        self, path: str, params: dict[str, str], endpoint: str, symbol: str, deadline: Deadline | None
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

        # FMP's 403 on the stable endpoint means "use the legacy one", not a wrong key.
        auth_statuses = (401,) if path == STABLE_PATH else (401, 403)
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
        try:
            rows = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise MalformedResponse("FMP sent earnings mojo cannot read (not JSON).") from None
        if not isinstance(rows, list):
            # FMP reports some errors as a 200 with {"Error Message": ...}; never echo it (keys).
            raise MalformedResponse("FMP sent earnings mojo cannot read.")
        dates: set[date] = set()
        for row in rows:
            try:
                reported = date.fromisoformat(str(row["date"])[:10])
            except (TypeError, KeyError, ValueError):
                MALFORMED_RECORDS.labels(PROVIDER, endpoint).inc()
                logger.warning(
                    "fmp %s %s: skipped malformed earnings row",
                    endpoint,
                    symbol,
                    extra={"provider": PROVIDER, "endpoint": endpoint, "symbol": symbol},
                )
                continue
            if reported >= today:
                dates.add(reported)
        return sorted(dates)

    def _redact(self, text: str) -> str:
        return redact(text, [self.api_key], marker=REDACTED)

    def __repr__(self) -> str:
        return f"FMPClient(base_url={self.base_url!r}, api_key={'set' if self.api_key else 'unset'})"
