"""The shared retry policy, driven by scripted attempts (the sandbox tests cover real HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from core.deadline import Deadline
from marketdata.clients.retry import (
    Call,
    RetryPolicy,
    Timeouts,
    TransportError,
    UpstreamResponse,
    parse_retry_after,
    send_with_retry,
)
from marketdata.exceptions import ProviderRateLimited, ProviderUnavailable

CALL = Call("massive", "aggs", "AAPL")
NO_WAIT = RetryPolicy(attempts=3, wait=0.0, retry_after_cap=30.0, connect_timeout=3.0, read_timeout=10.0)


def scripted(*answers: UpstreamResponse | TransportError, seen: list[Timeouts] | None = None):
    """Return a send() that plays `answers` in order and records the timeouts it was given."""
    remaining = list(answers)

    def send(timeouts: Timeouts) -> UpstreamResponse:
        if seen is not None:
            seen.append(timeouts)
        answer = remaining.pop(0)
        if isinstance(answer, TransportError):
            raise answer
        return answer

    return send


def status(code: int, **headers: str) -> UpstreamResponse:
    return UpstreamResponse(code, headers, b"{}")


def run(send: Callable[[Timeouts], UpstreamResponse], **kwargs) -> UpstreamResponse:
    kwargs.setdefault("policy", NO_WAIT)
    kwargs.setdefault("deadline", None)
    return send_with_retry(send, call=CALL, **kwargs)


def test_two_server_errors_then_success_returns_the_third_answer() -> None:
    seen: list[Timeouts] = []
    response = run(scripted(status(500), status(502), status(200), seen=seen))
    assert (response.status, len(seen)) == (200, 3)


def test_client_errors_other_than_429_are_returned_without_retry() -> None:
    seen: list[Timeouts] = []
    response = run(scripted(status(404), status(200), seen=seen))
    assert (response.status, len(seen)) == (404, 1)


def test_timeouts_on_every_attempt_give_provider_unavailable() -> None:
    seen: list[Timeouts] = []
    with pytest.raises(ProviderUnavailable):
        run(scripted(*[TransportError("slow", timeout=True)] * 3, seen=seen))
    assert len(seen) == 3


def test_429_on_every_attempt_gives_rate_limited_with_its_retry_after() -> None:
    with pytest.raises(ProviderRateLimited) as caught:
        run(scripted(*[status(429, **{"Retry-After": "0"})] * 3))
    assert caught.value.retry_after == 0


def test_retry_after_is_waited_even_when_the_base_wait_is_zero() -> None:
    slept: list[float] = []
    run(scripted(status(429, **{"Retry-After": "7"}), status(200)), sleep=slept.append)
    assert slept == [7.0]


def test_retry_after_is_capped() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, wait=0.0, retry_after_cap=2.0)
    run(scripted(status(503, **{"Retry-After": "120"}), status(200)), policy=policy, sleep=slept.append)
    assert slept == [2.0]


def test_waits_double_between_attempts() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, wait=1.0)
    run(scripted(status(500), status(500), status(200)), policy=policy, sleep=slept.append)
    assert slept == [1.0, 2.0]


def test_a_wait_that_would_overrun_the_deadline_gives_up_at_once() -> None:
    seen: list[Timeouts] = []
    with pytest.raises(ProviderRateLimited) as caught:
        run(scripted(status(429, **{"Retry-After": "5"}), status(200), seen=seen), deadline=Deadline(1.0))
    assert (len(seen), caught.value.retry_after) == (1, 5.0)


def test_each_attempt_gets_at_most_the_time_left() -> None:
    seen: list[Timeouts] = []
    run(scripted(status(200), seen=seen), deadline=Deadline(2.0))
    assert seen[0].connect <= 2.0 and seen[0].read <= 2.0


def test_a_spent_deadline_makes_no_attempt() -> None:
    seen: list[Timeouts] = []
    with pytest.raises(ProviderUnavailable):
        run(scripted(status(200), seen=seen), deadline=Deadline(0.0))
    assert seen == []


def test_every_attempt_is_one_structured_log_line(caplog) -> None:
    caplog.set_level(logging.INFO, logger="marketdata.upstream")
    run(scripted(status(500), TransportError("reset"), status(200)))
    attempts = [r for r in caplog.records if r.name == "marketdata.upstream" and hasattr(r, "attempt")]
    assert [(r.provider, r.endpoint, r.symbol, r.attempt, r.status, r.outcome) for r in attempts] == [
        ("massive", "aggs", "AAPL", 1, 500, "server_error"),
        ("massive", "aggs", "AAPL", 2, None, "connection_error"),
        ("massive", "aggs", "AAPL", 3, 200, "ok"),
    ]
    assert all(isinstance(r.latency_ms, float) for r in attempts)


def test_auth_failures_are_logged_as_errors(caplog) -> None:
    caplog.set_level(logging.INFO, logger="marketdata.upstream")
    run(scripted(status(401)))
    assert [r.levelno for r in caplog.records if hasattr(r, "attempt")] == [logging.ERROR]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_header_values(raw: str | None, expected: float | None) -> None:
    assert parse_retry_after(raw) == expected
