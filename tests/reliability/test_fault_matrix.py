"""Fault matrix through the API: every provider fault × cache state empty / fresh / stale.

Each cell checks the HTTP status (with Retry-After on a 503), `meta.stale`, the number of
requests the provider saw (the retry policy's attempts, counted by the sandbox), and that
a failed fetch leaves the stored entry exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from core.errors import DEFAULT_RETRY_AFTER
from devtools.sandbox.control import SandboxControl
from marketdata import cache, clock

pytestmark = pytest.mark.django_db

ATTEMPTS = 3
READ_TIMEOUT = 0.3
HANG_SECONDS = 1.0
# More faults than any policy spends: the requests the provider saw are the policy's bound.
FAULTS = 10

STOCK = "AAPL"
# A chain whose 0–60 DTE window is one page (140 contracts), so "one request" is exact.
CHAIN = "WMT"


@dataclass(frozen=True)
class Target:
    """An endpoint, the cache entry behind it and how long that entry stays fresh."""

    url: str
    key: str
    stale_after: timedelta
    endpoint: str  # the provider endpoint behind the entry (the sandbox's counter name)


# Stale a session later: the stored history then misses a session, which takes an aggs call
# (before that, stock data is recomputed from the table without asking the provider).
STOCK_API = Target(f"/api/v1/stocks/{STOCK}/", cache.stock_cache_key(STOCK), timedelta(days=1), "aggs")
# The options endpoint also reads the spot (stock data); the count is of chain requests.
CHAIN_API = Target(
    f"/api/v1/stocks/{CHAIN}/options/", cache.options_cache_key(CHAIN), timedelta(hours=25), "options_chain"
)


@dataclass(frozen=True)
class Fault:
    """A scripted provider fault and what mojo answers when it has nothing cached."""

    script: Callable[[SandboxControl], None]
    target: Target
    status: int
    code: str
    attempts: int  # provider requests mojo makes before it gives up
    retry_after: str | None  # Retry-After of the error response (None: no header)


def _aggs(**fault) -> Callable[[SandboxControl], None]:
    return lambda control: control.fault(path=f"/v2/aggs/ticker/{STOCK}", count=FAULTS, **fault)


UNAVAILABLE = {"status": 503, "code": "provider_unavailable", "retry_after": str(DEFAULT_RETRY_AFTER)}

FAULT_KINDS = {
    "429_with_retry_after": Fault(
        _aggs(kind="status", status=429, retry_after=0.5),
        STOCK_API,
        status=503,
        code="provider_rate_limited",
        attempts=ATTEMPTS,
        retry_after="1",  # the provider's 0.5 s rounded up, not mojo's default
    ),
    "500": Fault(_aggs(kind="status", status=500), STOCK_API, attempts=ATTEMPTS, **UNAVAILABLE),
    "hang_past_read_timeout": Fault(
        _aggs(kind="hang", seconds=HANG_SECONDS), STOCK_API, attempts=ATTEMPTS, **UNAVAILABLE
    ),
    # A 200 that is not JSON is not retried: the provider answered, unreadably.
    "invalid_json": Fault(
        _aggs(kind="invalid_json"),
        STOCK_API,
        status=502,
        code="provider_bad_response",
        attempts=1,
        retry_after=None,
    ),
    "malformed_records": Fault(
        lambda control: control.malformed(CHAIN, 10**6),  # every record of every chain stream
        CHAIN_API,
        status=502,
        code="provider_bad_response",
        attempts=1,
        retry_after=None,
    ),
    "connection_reset": Fault(_aggs(kind="reset"), STOCK_API, attempts=ATTEMPTS, **UNAVAILABLE),
    "provider_down": Fault(lambda control: control.down(), STOCK_API, attempts=ATTEMPTS, **UNAVAILABLE),
}


@pytest.fixture(autouse=True)
def _policy(settings) -> None:
    settings.PROVIDER_RETRY_ATTEMPTS = ATTEMPTS
    settings.PROVIDER_RETRY_WAIT = 0.0
    settings.PROVIDER_READ_TIMEOUT = READ_TIMEOUT
    settings.PROVIDER_REQUEST_BUDGET = 8.0
    settings.MARKETDATA_LOCAL_CACHE_SECONDS = 0  # cache.read shows what Redis holds


def _prime(api, sandbox, target: Target) -> cache.Entry:
    """Fill the cache through the API, then forget the provider requests that took."""
    assert api.get(target.url).status_code == 200
    entry = cache.read(target.key)
    assert entry is not None
    sandbox.control.reset()
    return entry


def _provider_requests(sandbox, target: Target) -> int:
    """Requests to the provider endpoint behind `target`'s entry."""
    return sandbox.control.count(target.endpoint)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_fault_with_nothing_cached_is_an_error_and_stores_nothing(api, sandbox, kind) -> None:
    fault = FAULT_KINDS[kind]
    fault.script(sandbox.control)

    response = api.get(fault.target.url)

    assert (response.status_code, response.json()["error"]["code"]) == (fault.status, fault.code)
    assert response.get("Retry-After") == fault.retry_after
    assert _provider_requests(sandbox, fault.target) == fault.attempts
    assert cache.read(fault.target.key) is None


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_fault_with_a_fresh_entry_serves_it_without_asking_the_provider(api, sandbox, kind) -> None:
    fault = FAULT_KINDS[kind]
    before = _prime(api, sandbox, fault.target)
    fault.script(sandbox.control)

    response = api.get(fault.target.url)

    assert response.status_code == 200
    assert response.json()["meta"] == {
        "as_of": before.as_of.isoformat(),
        "cached": True,
        "stale": False,
    }
    assert _provider_requests(sandbox, fault.target) == 0
    assert cache.read(fault.target.key) == before


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_fault_with_a_stale_entry_serves_it_flagged_stale_and_keeps_it(
    api, sandbox, pinned_clock: datetime, kind
) -> None:
    fault = FAULT_KINDS[kind]
    before = _prime(api, sandbox, fault.target)
    fault.script(sandbox.control)

    with clock.pinned(pinned_clock + fault.target.stale_after):
        assert not before.is_fresh(clock.now())
        response = api.get(fault.target.url)

    assert response.status_code == 200
    assert response.json()["meta"] == {"as_of": before.as_of.isoformat(), "cached": True, "stale": True}
    assert _provider_requests(sandbox, fault.target) == fault.attempts
    after = cache.read(fault.target.key)
    assert after is not None and after.fetched_at == before.fetched_at
    assert after == before
