"""Endpoints the provider's plan lacks: remembered for a day, so the next cycles fall back without asking.

A `NotEntitled` answer (Massive's 403 NOT_AUTHORIZED "not entitled", FMP's 402/403 on its
calendar) is a fact about the plan, not a failure: the caller falls back (the universal
snapshot to per-contract snapshots, the stocks snapshot to per-symbol bars, the earnings
calendar to per-symbol calls) or skips what needs it (dividends, ticker details). The lack is
logged once, kept in Redis for `REMEMBERED_SECONDS` (a plan upgrade is noticed the next day)
and shown in `/healthz`. Without Redis nothing is remembered: every cycle asks again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from marketdata import cache
from marketdata.exceptions import NotEntitled

logger = logging.getLogger(__name__)

T = TypeVar("T")

REMEMBERED_SECONDS = 24 * 60 * 60

# The endpoints mojo can do without, by the name their calls are counted under, and the
# provider's path for each (what `/healthz` shows).
ENDPOINT_PATHS: dict[str, str] = {
    "universal_snapshot": "/v3/snapshot",
    "stocks_snapshot": "/v2/snapshot/locale/us/markets/stocks/tickers",
    "dividends": "/v3/reference/dividends",
    "ticker_details": "/v3/reference/tickers/{ticker}",
    "fmp_earnings_calendar": "/stable/earnings-calendar",
}


def entitlement_lacking(endpoint: str) -> bool:
    """Whether the plan was found to lack `endpoint` in the last day."""
    return cache.get_value(cache.entitlement_key(endpoint)) is not None


def entitlement_lack_record(endpoint: str) -> None:
    """Remember for a day that the plan lacks `endpoint`; logged once, when first learned."""
    if endpoint not in ENDPOINT_PATHS:
        raise ValueError(f"{endpoint!r} is not an endpoint mojo can do without")
    if not entitlement_lacking(endpoint):
        logger.warning(
            "the provider's plan does not include %s (%s): falling back for a day",
            endpoint,
            ENDPOINT_PATHS[endpoint],
            extra={"endpoint": endpoint},
        )
    cache.set_value(cache.entitlement_key(endpoint), "not_authorized", timeout=REMEMBERED_SECONDS)


def entitlements_lacking() -> dict[str, str]:
    """`{"<endpoint path>": "not_authorized"}` for every endpoint the plan was found to lack."""
    return {
        path: "not_authorized" for endpoint, path in ENDPOINT_PATHS.items() if entitlement_lacking(endpoint)
    }


def entitled_or(endpoint: str, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
    """`primary()`, or `fallback()` when the plan lacks `endpoint` (known already, or learned now)."""
    if entitlement_lacking(endpoint):
        return fallback()
    try:
        return primary()
    except NotEntitled:
        entitlement_lack_record(endpoint)
    return fallback()
