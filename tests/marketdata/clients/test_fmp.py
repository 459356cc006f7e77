"""FMPClient against the sandbox: upcoming earnings, legacy fallback, and a key that never leaks."""

from __future__ import annotations

import logging
import traceback
from datetime import date

import pytest
import requests

from core.redaction import redact
from devtools.localredis import free_port
from marketdata.clients import get_fmp_client
from marketdata.exceptions import (
    EarningsUnavailable,
    MojoError,
    ProviderAuthError,
    ProviderUnavailable,
)
from tests.conftest import SANDBOX_TODAY

STABLE = "/stable/earnings"
SECRET = "fmp-secret-9f8e7d6c"


def served_dates(sandbox, symbol: str) -> list[date]:
    """The sandbox's report dates on or after today, fetched without mojo's client."""
    rows = requests.get(
        f"{sandbox.base_url}{STABLE}", params={"symbol": symbol, "apikey": "k"}, timeout=10
    ).json()
    return sorted({date.fromisoformat(row["date"]) for row in rows})


def upcoming(sandbox, symbol: str) -> list[date]:
    return [d for d in served_dates(sandbox, symbol) if d >= SANDBOX_TODAY]


def test_upcoming_earnings_are_the_served_dates_from_today_ascending(sandbox) -> None:
    dates = get_fmp_client().upcoming_earnings("AAPL", SANDBOX_TODAY)
    assert dates == upcoming(sandbox, "AAPL") and len(dates) >= 1


def test_an_unknown_symbol_has_no_upcoming_earnings(sandbox) -> None:
    assert get_fmp_client().upcoming_earnings("ZZZZ", SANDBOX_TODAY) == []


@pytest.mark.parametrize("status", [403, 404])
def test_a_refused_stable_endpoint_falls_back_to_legacy(sandbox, status: int) -> None:
    sandbox.control.fault(path=STABLE, kind="status", status=status)
    sandbox.control.legacy_fmp(True)
    dates = get_fmp_client().upcoming_earnings("MSFT", SANDBOX_TODAY)
    assert dates == upcoming(sandbox, "MSFT")
    assert sandbox.control.count("fmp_legacy") == 1


def test_legacy_is_not_asked_when_stable_answers(sandbox) -> None:
    get_fmp_client().upcoming_earnings("MSFT", SANDBOX_TODAY)
    assert sandbox.control.count("fmp_legacy") == 0


def test_both_endpoints_refusing_is_provider_auth_error(sandbox) -> None:
    sandbox.control.fault(path=STABLE, kind="status", status=403)
    with pytest.raises(ProviderAuthError):
        get_fmp_client().upcoming_earnings("MSFT", SANDBOX_TODAY)


def test_fmp_down_is_provider_unavailable(sandbox) -> None:
    sandbox.control.down()
    with pytest.raises(ProviderUnavailable):
        get_fmp_client().upcoming_earnings("AAPL", SANDBOX_TODAY)


def test_no_key_is_earnings_unavailable_without_a_request(sandbox, settings) -> None:
    settings.FMP_API_KEY = ""
    with pytest.raises(EarningsUnavailable):
        get_fmp_client().upcoming_earnings("AAPL", SANDBOX_TODAY)
    assert sandbox.control.counters()["total"] == 0


def test_a_missing_key_is_warned_once_not_per_call(sandbox, settings, caplog) -> None:
    settings.FMP_API_KEY = ""
    settings.FMP_BASE_URL = f"{sandbox.base_url}/"  # a settings value no earlier test built a client for
    for _ in range(3):
        with pytest.raises(EarningsUnavailable):
            get_fmp_client().upcoming_earnings("AAPL", SANDBOX_TODAY)
    assert [r.levelno for r in caplog.records if "FMP_API_KEY" in r.getMessage()] == [logging.WARNING]


def _failures(sandbox, settings) -> list[MojoError]:
    """Drive every path that can carry a URL or body: success, 401, 5xx, refusal, no server."""
    errors: list[MojoError] = []
    client = get_fmp_client()
    client.upcoming_earnings("AAPL", SANDBOX_TODAY)
    for scripted in (
        {"kind": "status", "status": 401},
        {"kind": "status", "status": 503, "count": 3},
        {"kind": "status", "status": 403},
        {"kind": "reset", "count": 3},
        {"kind": "invalid_json"},
    ):
        sandbox.control.fault(path=STABLE, **scripted)
        try:
            client.upcoming_earnings("AAPL", SANDBOX_TODAY)
        except MojoError as exc:
            errors.append(exc)
    settings.FMP_BASE_URL = f"http://127.0.0.1:{free_port()}"
    try:
        get_fmp_client().upcoming_earnings("AAPL", SANDBOX_TODAY)
    except MojoError as exc:
        errors.append(exc)
    return errors


def test_the_api_key_never_appears_in_logs_or_exceptions(sandbox, settings, caplog) -> None:
    settings.FMP_API_KEY = SECRET
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # urllib3 logs request URLs at DEBUG
    errors = _failures(sandbox, settings)
    assert len(errors) == 6
    exception_text = "".join(
        "".join(traceback.format_exception(exc)) + repr(exc.details) + repr(exc.__context__) for exc in errors
    )
    logged = "".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert any("apikey=" in record.getMessage() for record in caplog.records)  # URLs were logged
    assert SECRET not in exception_text
    assert SECRET not in logged


def test_redact_removes_apikey_values_and_the_key_itself() -> None:
    text = "GET /stable/earnings?symbol=AAPL&apikey=abc123&limit=5 failed (key abc123)"
    assert redact(text, ["abc123"], marker="REDACTED") == (
        "GET /stable/earnings?symbol=AAPL&apikey=REDACTED&limit=5 failed (key REDACTED)"
    )
