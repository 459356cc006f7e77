"""FMPClient.earnings_calendar against the sandbox: windows, the row cap, entitlement, a hidden key."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import REGISTRY

from devtools.localredis import free_port
from devtools.sandbox.data import UNIVERSE
from marketdata.clients import FMPClient, get_fmp_client
from marketdata.clients.fmp import calendar_windows
from marketdata.exceptions import (
    EarningsUnavailable,
    MalformedResponse,
    MojoError,
    NotEntitled,
    ProviderAuthError,
    ProviderUnavailable,
)
from tests.conftest import SANDBOX_TODAY

CALENDAR = "/stable/earnings-calendar"
SECRET = "fmp-secret-3a2b1c0d"
END = SANDBOX_TODAY + timedelta(days=90)
# A window of the sandbox's reporting season in which no single day has 5 reports, so a cap
# of 5 can always be met by splitting.
SPLITTABLE = (date(2027, 2, 6), date(2027, 2, 15))
BUSY_DAY = date(2027, 2, 1)  # 11 companies report that day


def calls(sandbox) -> int:
    return sandbox.control.count("fmp_earnings_calendar")


def test_the_calendar_dates_are_the_per_symbol_endpoints_dates(sandbox) -> None:
    client = get_fmp_client()
    per_symbol = {
        symbol: [d for d in client.upcoming_earnings(symbol, SANDBOX_TODAY) if d <= END]
        for symbol in UNIVERSE
    }
    calendar = client.earnings_calendar(SANDBOX_TODAY, END)
    assert calendar == {symbol: dates for symbol, dates in per_symbol.items() if dates}
    assert calls(sandbox) == 1


def test_class_shares_come_back_in_mojos_spelling(sandbox) -> None:
    calendar = get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)
    assert "BRK.B" in calendar
    assert not any("-" in symbol for symbol in calendar)


def test_funds_are_not_in_the_calendar(sandbox) -> None:
    calendar = get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)
    assert {"SPY", "QQQ", "IWM"}.isdisjoint(calendar)


def test_a_100_day_window_is_asked_in_two_calls(sandbox) -> None:
    calendar = get_fmp_client().earnings_calendar(SANDBOX_TODAY, SANDBOX_TODAY + timedelta(days=100))
    assert calls(sandbox) == 2
    assert calendar  # the sandbox answered both pieces (a 91-day piece would be a 400)


def test_windows_cover_the_range_once_in_pieces_of_at_most_90_days() -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    windows = list(calendar_windows(start, end))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    covered = [day for low, high in windows for day in days if low <= day <= high]
    assert covered == days
    assert all((high - low).days <= 90 for low, high in windows)


def test_a_full_answer_is_split_until_every_answer_is_under_the_cap(sandbox, settings) -> None:
    client = get_fmp_client()
    uncapped = client.earnings_calendar(*SPLITTABLE)
    sandbox.control.reset()
    sandbox.control.calendar_cap(5)
    settings.FMP_EARNINGS_CALENDAR_ROW_CAP = 5

    capped = client.earnings_calendar(*SPLITTABLE)

    assert capped == uncapped
    assert sum(len(dates) for dates in uncapped.values()) > 5  # more than one answer can hold
    assert calls(sandbox) > 2  # split more than once


def test_without_splitting_a_capped_answer_loses_reports(sandbox, settings) -> None:
    # The control: the sandbox's cap cuts answers, so only splitting brings every report back.
    client = get_fmp_client()
    uncapped = client.earnings_calendar(*SPLITTABLE)
    sandbox.control.calendar_cap(5)
    settings.FMP_EARNINGS_CALENDAR_ROW_CAP = 1000

    cut = client.earnings_calendar(*SPLITTABLE)

    assert sum(map(len, cut.values())) == 5 < sum(map(len, uncapped.values()))


def test_a_full_single_day_is_kept_with_a_warning(sandbox, settings, caplog) -> None:
    sandbox.control.calendar_cap(5)
    settings.FMP_EARNINGS_CALENDAR_ROW_CAP = 5
    with caplog.at_level(logging.WARNING, logger="marketdata.clients.fmp"):
        calendar = get_fmp_client().earnings_calendar(BUSY_DAY, BUSY_DAY)
    assert len(calendar) == 5
    assert calls(sandbox) == 1
    assert any("cap" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("status", [402, 403])
def test_a_plan_without_the_calendar_is_not_entitled(sandbox, status: int, caplog) -> None:
    sandbox.control.fault(path=CALENDAR, kind="status", status=status)
    with pytest.raises(NotEntitled) as raised:
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)
    assert raised.value.details == {"endpoint": "fmp_earnings_calendar"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # not a key problem


@pytest.mark.parametrize("status", [402, 403])
def test_the_sandboxs_entitlement_switch_is_not_entitled(sandbox, status: int) -> None:
    sandbox.control.entitlement(CALENDAR, False, status=status)
    with pytest.raises(NotEntitled):
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)


def test_a_401_is_an_auth_error(sandbox) -> None:
    sandbox.control.fault(path=CALENDAR, kind="status", status=401)
    with pytest.raises(ProviderAuthError):
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)


def test_fmp_down_is_provider_unavailable(sandbox) -> None:
    sandbox.control.down()
    with pytest.raises(ProviderUnavailable):
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)


def test_no_key_is_earnings_unavailable_without_a_request(sandbox, settings) -> None:
    settings.FMP_API_KEY = ""
    with pytest.raises(EarningsUnavailable):
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)
    assert sandbox.control.counters()["total"] == 0


def _failures(sandbox, settings) -> list[MojoError]:
    """Drive every path that can carry a URL or body: 2xx, 401, 5xx, 402, 403, reset, bad JSON, no server."""
    errors: list[MojoError] = []
    client = get_fmp_client()
    client.earnings_calendar(SANDBOX_TODAY, END)
    for scripted in (
        {"kind": "status", "status": 401},
        {"kind": "status", "status": 503, "count": 3},
        {"kind": "status", "status": 402},
        {"kind": "status", "status": 403},
        {"kind": "reset", "count": 3},
        {"kind": "invalid_json"},
    ):
        sandbox.control.fault(path=CALENDAR, **scripted)
        try:
            client.earnings_calendar(SANDBOX_TODAY, END)
        except MojoError as exc:
            errors.append(exc)
    settings.FMP_BASE_URL = f"http://127.0.0.1:{free_port()}"
    try:
        get_fmp_client().earnings_calendar(SANDBOX_TODAY, END)
    except MojoError as exc:
        errors.append(exc)
    return errors


def test_the_api_key_never_appears_in_logs_or_exceptions(sandbox, settings, caplog) -> None:
    settings.FMP_API_KEY = SECRET
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # urllib3 logs request URLs at DEBUG
    errors = _failures(sandbox, settings)
    assert len(errors) == 7
    exception_text = "".join(
        "".join(traceback.format_exception(exc)) + repr(exc.details) + repr(exc.__context__) for exc in errors
    )
    logged = "".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert any("earnings-calendar" in r.getMessage() and "apikey=" in r.getMessage() for r in caplog.records)
    assert SECRET not in exception_text
    assert SECRET not in logged


# --- Rows the sandbox never sends: a loopback server answering one canned body -----------------
@dataclass
class CannedFMP:
    """Where the canned server listens and what it answers (200, JSON)."""

    base_url: str
    body: bytes = b"[]"

    def client(self, rows: object) -> FMPClient:
        self.body = json.dumps(rows).encode()
        return FMPClient(api_key="k", base_url=self.base_url)


@pytest.fixture
def canned() -> Iterator[CannedFMP]:
    answer = CannedFMP("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    answer.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield answer
    server.shutdown()
    server.server_close()


def malformed_count() -> float:
    labels = {"provider": "fmp", "endpoint": "earnings_calendar"}
    return REGISTRY.get_sample_value("mojo_malformed_records_total", labels) or 0.0


def test_malformed_rows_are_skipped_and_counted(canned) -> None:
    rows = [
        {"symbol": "AAPL", "date": "2027-01-28"},
        {"symbol": "MSFT", "date": "not a date"},
        {"date": "2027-01-29"},
        {"symbol": "", "date": "2027-01-29"},
        "not a row",
        {"symbol": "BRK-B", "date": "2027-02-01"},
    ]
    before = malformed_count()
    calendar = canned.client(rows).earnings_calendar(date(2027, 1, 1), date(2027, 3, 1))
    assert calendar == {"AAPL": [date(2027, 1, 28)], "BRK.B": [date(2027, 2, 1)]}
    assert malformed_count() - before == 4


def test_an_answer_that_is_not_an_array_is_malformed(canned) -> None:
    client = canned.client({"Error Message": f"Invalid API KEY {SECRET}"})
    with pytest.raises(MalformedResponse) as raised:
        client.earnings_calendar(date(2027, 1, 1), date(2027, 3, 1))
    assert SECRET not in str(raised.value)


def test_dates_are_distinct_sorted_and_inside_the_window(canned) -> None:
    rows = [
        {"symbol": "AAPL", "date": "2027-02-10"},
        {"symbol": "AAPL", "date": "2027-01-28"},
        {"symbol": "AAPL", "date": "2027-01-28"},
        {"symbol": "AAPL", "date": "2026-12-31"},  # outside the window asked
    ]
    calendar = canned.client(rows).earnings_calendar(date(2027, 1, 1), date(2027, 3, 1))
    assert calendar == {"AAPL": [date(2027, 1, 28), date(2027, 2, 10)]}
