"""The one retry policy both provider clients use (tenacity), with time budgets.

A client hands `send_with_retry` a `send(timeouts)` function that makes ONE HTTP request and
returns an `UpstreamResponse` (or raises `TransportError`). The policy:

- makes up to `attempts` attempts, waiting `wait`, then twice that, and so on between them;
- retries connection errors, timeouts, 429 and 5xx; a response's `Retry-After` is honoured
  (capped at `retry_after_cap`) even when the base wait is 0; other statuses are returned to
  the client, which maps them (404 → TickerNotFound, 401/403 → ProviderAuthError, ...);
- with a deadline, gives up as soon as the next wait or attempt would overrun it, and gives
  each attempt at most the time left;
- tells `on_retry_after` (the shared throttle's pause) each 429 or 503 that carries a
  Retry-After, capped, so other callers back off too; it decides nothing about retries;
- logs every attempt as ONE line on ``marketdata.upstream`` (extra fields provider, endpoint,
  symbol, attempt, status, outcome, latency_ms) and counts it in the upstream metrics.

When it gives up it raises `ProviderRateLimited` (the last answer was a 429) or
`ProviderUnavailable` (anything else), both with `retry_after`; nothing foreign escapes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from django.conf import settings
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base

from core.deadline import Deadline
from core.errors import DEFAULT_RETRY_AFTER
from marketdata.exceptions import ProviderError, ProviderRateLimited, ProviderUnavailable
from marketdata.metrics import UPSTREAM_CALLS, UPSTREAM_LATENCY, UPSTREAM_RETRIES

logger = logging.getLogger("marketdata.upstream")

PROVIDER_NAMES = {"massive": "Massive", "fmp": "FMP"}

# An attempt given less time than this cannot get an answer; don't start it.
MIN_ATTEMPT_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect and read timeouts (seconds) for one attempt."""

    connect: float
    read: float


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    """One HTTP answer as the policy and the clients see it, whatever library fetched it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def retry_after(self) -> float | None:
        """Return the Retry-After header in seconds (delta or HTTP-date), or None."""
        raw = next((v for k, v in self.headers.items() if k.lower() == "retry-after"), None)
        return parse_retry_after(raw)


class TransportError(Exception):
    """An attempt failed below HTTP: no connection, a reset, or a timeout.

    Clients raise it from `send` with a message that is safe to log (secrets redacted).
    """

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


@dataclass(frozen=True, slots=True)
class Call:
    """What one provider call is, for log lines and metric labels."""

    provider: str
    endpoint: str
    symbol: str
    # Statuses that mean "our key is wrong": their attempt line is logged at ERROR.
    auth_statuses: Collection[int] = field(default=(401, 403))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts, waits and timeouts; built from settings by `from_settings`."""

    attempts: int = 3
    wait: float = 1.0
    retry_after_cap: float = 30.0
    connect_timeout: float = 3.0
    read_timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        """Return the policy the current Django settings describe."""
        return cls(
            attempts=max(1, int(settings.PROVIDER_RETRY_ATTEMPTS)),
            wait=float(settings.PROVIDER_RETRY_WAIT),
            retry_after_cap=float(settings.PROVIDER_RETRY_AFTER_CAP),
            connect_timeout=float(settings.PROVIDER_CONNECT_TIMEOUT),
            read_timeout=float(settings.PROVIDER_READ_TIMEOUT),
        )

    def timeouts(self, deadline: Deadline | None) -> Timeouts:
        """Return this attempt's timeouts: the configured ones, cut to the time left."""
        if deadline is None:
            return Timeouts(self.connect_timeout, self.read_timeout)
        remaining = deadline.remaining()
        return Timeouts(min(self.connect_timeout, remaining), min(self.read_timeout, remaining))

    def base_wait(self, attempt_number: int) -> float:
        """Return the wait after attempt `attempt_number` (1-based): wait, 2 x wait, 4 x wait..."""
        return self.wait * 2 ** (attempt_number - 1)


def parse_retry_after(raw: str | None) -> float | None:
    """Return a Retry-After value in seconds (never negative), or None when absent/unreadable."""
    if raw is None or not raw.strip():
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        try:
            seconds = parsedate_to_datetime(raw).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            return None
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def outcome_of(status: int | None, error: TransportError | None = None) -> str:
    """Return the bounded metric label for one attempt's result."""
    if error is not None:
        return "timeout" if error.timeout else "connection_error"
    assert status is not None
    if 200 <= status < 300:
        return "ok"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    if status in (401, 403):
        return "auth_error"
    if status == 404:
        return "not_found"
    return "client_error"


def is_retryable_status(status: int) -> bool:
    """True for the statuses the policy retries: 429 and 5xx."""
    return status == 429 or status >= 500


class _Retryable(Exception):
    """Internal: one attempt failed in a way worth another attempt."""

    def __init__(self, response: UpstreamResponse | None, error: TransportError | None) -> None:
        super().__init__(str(error) if error is not None else f"HTTP {response.status if response else '?'}")
        self.response = response
        self.error = error


class _OutOfTime(Exception):
    """Internal: the deadline leaves no room for the next attempt."""


class _StopOverBudget(stop_base):
    """Stop when the coming wait plus a minimal attempt would overrun the deadline."""

    def __init__(self, deadline: Deadline | None) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        if self.deadline is None:
            return False
        return retry_state.upcoming_sleep + MIN_ATTEMPT_SECONDS > self.deadline.remaining()


def send_with_retry(
    send: Callable[[Timeouts], UpstreamResponse],
    *,
    call: Call,
    policy: RetryPolicy,
    deadline: Deadline | None,
    before_attempt: Callable[[Deadline | None], None] | None = None,
    on_retry_after: Callable[[float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> UpstreamResponse:
    """Send with the retry policy; return the first non-retryable response.

    The returned response is a 2xx, or a status the policy does not retry (3xx, 4xx other
    than 429) for the caller to map. `before_attempt` runs before every attempt (the
    shared throttle); whatever it raises escapes unchanged. `on_retry_after` hears the
    seconds (capped) of every 429/503 with Retry-After, the last attempt's included.
    `sleep` waits between attempts.
    """

    def wait(state: RetryCallState) -> float:
        base = policy.base_wait(state.attempt_number)
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _Retryable) and failure.response is not None:
            retry_after = failure.response.retry_after
            if retry_after is not None:
                return max(base, min(retry_after, policy.retry_after_cap))
        return base

    def before_sleep(state: RetryCallState) -> None:
        UPSTREAM_RETRIES.labels(call.provider, call.endpoint).inc()

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | _StopOverBudget(deadline),
        wait=wait,
        retry=retry_if_exception_type(_Retryable),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    last: _Retryable | None = None
    attempts_made = 0
    try:
        for attempt in retrying:
            with attempt:
                attempts_made = attempt.retry_state.attempt_number
                if before_attempt is not None:
                    before_attempt(deadline)
                if deadline is not None and deadline.remaining() < MIN_ATTEMPT_SECONDS:
                    raise _OutOfTime
                return _one_attempt(send, call, policy, deadline, attempts_made, on_retry_after)
    except _Retryable as failure:
        last = failure
    except _OutOfTime:
        last = None
    budget_spent = last is None or attempts_made < policy.attempts
    raise _give_up(call, policy, last, budget_spent=budget_spent)


def _one_attempt(
    send: Callable[[Timeouts], UpstreamResponse],
    call: Call,
    policy: RetryPolicy,
    deadline: Deadline | None,
    number: int,
    on_retry_after: Callable[[float], None] | None,
) -> UpstreamResponse:
    timeouts = policy.timeouts(deadline)
    started = time.monotonic()
    try:
        response = send(timeouts)
    except TransportError as error:
        _record(call, number, None, time.monotonic() - started, error)
        raise _Retryable(None, error) from None
    _record(call, number, response.status, time.monotonic() - started, None)
    retry_after = response.retry_after
    if on_retry_after is not None and response.status in (429, 503) and retry_after is not None:
        on_retry_after(min(retry_after, policy.retry_after_cap))
    if is_retryable_status(response.status):
        raise _Retryable(response, None)
    return response


def _record(
    call: Call, number: int, status: int | None, seconds: float, error: TransportError | None
) -> None:
    """Log one attempt as one line and count it."""
    outcome = outcome_of(status, error)
    latency_ms = round(seconds * 1000, 1)
    UPSTREAM_CALLS.labels(call.provider, call.endpoint, outcome).inc()
    UPSTREAM_LATENCY.labels(call.provider, call.endpoint).observe(seconds)
    if outcome in ("ok", "not_found"):
        level = logging.INFO
    elif status in call.auth_statuses:
        level = logging.ERROR
    else:
        level = logging.WARNING
    what = f"HTTP {status}" if status is not None else str(error)
    logger.log(
        level,
        "%s %s %s attempt %d: %s (%s) in %.0f ms",
        call.provider,
        call.endpoint,
        call.symbol,
        number,
        what,
        outcome,
        latency_ms,
        extra={
            "provider": call.provider,
            "endpoint": call.endpoint,
            "symbol": call.symbol,
            "attempt": number,
            "status": status,
            "outcome": outcome,
            "latency_ms": latency_ms,
        },
    )


def _give_up(
    call: Call, policy: RetryPolicy, last: _Retryable | None, *, budget_spent: bool
) -> ProviderError:
    """Return the typed error for a call the policy gave up on (and log why)."""
    response = last.response if last is not None else None
    retry_after = None
    if response is not None and response.retry_after is not None:
        retry_after = min(response.retry_after, policy.retry_after_cap)
    why = "no time left in the budget" if last is None else f"last attempt: {last}"
    if budget_spent and last is not None:
        why += "; the next would overrun the budget"
    logger.warning(
        "%s %s %s: giving up (%s)",
        call.provider,
        call.endpoint,
        call.symbol,
        why,
        extra={"provider": call.provider, "endpoint": call.endpoint, "symbol": call.symbol},
    )
    name = PROVIDER_NAMES.get(call.provider, call.provider)
    if response is not None and response.status == 429:
        return ProviderRateLimited(
            f"{name} is rate limiting mojo; try again later.",
            retry_after=retry_after if retry_after is not None else DEFAULT_RETRY_AFTER,
        )
    if budget_spent:
        message = f"{name} could not answer within mojo's time budget."
    elif last is not None and last.error is not None and last.error.timeout:
        message = f"{name} did not answer in time."
    elif response is not None:
        message = f"{name} is failing (HTTP {response.status})."
    else:
        message = f"{name} cannot be reached."
    return ProviderUnavailable(
        message, retry_after=retry_after if retry_after is not None else DEFAULT_RETRY_AFTER
    )
