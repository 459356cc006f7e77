"""FMP's earnings calendar: every company reporting in a window, the same reports `/stable/earnings` gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from devtools.sandbox import data
from devtools.sandbox.wire import FMP_CALENDAR_CAP, Request

FMP_KEY = {"apikey": "test-fmp-key"}
CALENDAR = "/stable/earnings-calendar"
FIELDS = {"symbol", "date", "epsActual", "epsEstimated", "revenueActual", "revenueEstimated", "lastUpdated"}


def _get(get, path, **params):
    return get(path, headers={}, **FMP_KEY, **params)


def _window(today, before: int = 45, after: int = 45) -> dict[str, str]:
    return {
        "from": (today - timedelta(days=before)).isoformat(),
        "to": (today + timedelta(days=after)).isoformat(),
    }


def _by_day(row: dict) -> tuple[str, str]:
    return row["date"], row["symbol"]


def test_rows_have_fmp_fields_oldest_first(get, today):
    rows = _get(get, CALENDAR, **_window(today)).json()
    assert rows and all(set(row) == FIELDS for row in rows)
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates)


def test_the_window_holds_exactly_the_reports_stable_earnings_gives(get, today):
    window = _window(today, 60, 30)
    expected = [
        row
        for symbol, profile in data.UNIVERSE.items()
        if not profile.is_etf
        for row in _get(get, "/stable/earnings", symbol=symbol.replace(".", "-")).json()
        if window["from"] <= row["date"] <= window["to"]
    ]
    rows = _get(get, CALENDAR, **window).json()
    assert sorted(rows, key=_by_day) == sorted(expected, key=_by_day)
    assert len({row["symbol"] for row in rows}) > 30  # most companies report once a quarter


def test_the_bounds_are_inclusive(get, today):
    rows = _get(get, CALENDAR, **_window(today)).json()
    day = rows[len(rows) // 2]["date"]
    on_the_day = _get(get, CALENDAR, **{"from": day, "to": day}).json()
    assert on_the_day == [row for row in rows if row["date"] == day]


def test_upcoming_reports_have_null_actuals(get, today):
    rows = _get(get, CALENDAR, **_window(today, 0, 90)).json()
    upcoming = [row for row in rows if row["date"] >= today.isoformat()]
    assert upcoming and all(row["epsActual"] is None and row["revenueActual"] is None for row in upcoming)


def test_class_shares_are_spelled_with_a_dash_and_etfs_have_no_rows(get, today):
    report = _get(get, "/stable/earnings", symbol="BRK-B").json()[3]["date"]
    symbols = {row["symbol"] for row in _get(get, CALENDAR, **{"from": report, "to": report}).json()}
    assert "BRK-B" in symbols and "BRK.B" not in symbols
    whole = {row["symbol"] for row in _get(get, CALENDAR, **_window(today)).json()}
    assert whole.isdisjoint({"SPY", "QQQ", "IWM"})


def test_the_cap_cuts_a_long_answer_to_its_first_rows(get, sandbox, today):
    window = _window(today)
    rows = _get(get, CALENDAR, **window).json()
    sandbox.control.calendar_cap(5)
    assert _get(get, CALENDAR, **window).json() == rows[:5]
    sandbox.control.reset()
    assert _get(get, CALENDAR, **window).json() == rows


def test_the_default_cap_is_fmps_3000_rows():
    assert FMP_CALENDAR_CAP == 3000
    assert Request("GET", "/", {}, "", "", data.REFERENCE_SESSION).calendar_cap == 3000


def test_a_cap_below_one_row_is_refused(sandbox):
    with pytest.raises(requests.HTTPError, match="400"):
        sandbox.control.calendar_cap(0)


def test_ninety_days_are_fine_and_ninety_one_a_400(get, today):
    start = today - timedelta(days=45)
    fine = _get(get, CALENDAR, **{"from": start.isoformat(), "to": (start + timedelta(days=90)).isoformat()})
    too_long = _get(
        get, CALENDAR, **{"from": start.isoformat(), "to": (start + timedelta(days=91)).isoformat()}
    )
    assert fine.status_code == 200
    assert too_long.status_code == 400
    assert "90 days" in too_long.json()["Error Message"]


@pytest.mark.parametrize(
    "params",
    [
        {"to": "2026-11-30"},
        {"from": "2026-11-01"},
        {"from": "2026-11-01", "to": "next-week"},
        {"from": "2026-12-01", "to": "2026-11-01"},
    ],
    ids=["no from", "no to", "malformed to", "from after to"],
)
def test_a_missing_malformed_or_reversed_window_is_a_400_in_fmp_style(get, params):
    response = _get(get, CALENDAR, **params)
    assert response.status_code == 400
    assert set(response.json()) == {"Error Message"}


def test_calls_are_counted_as_fmp_earnings_calendar(get, sandbox, today):
    _get(get, CALENDAR, **_window(today))
    _get(get, "/stable/earnings", symbol="AAPL")
    assert sandbox.control.count("fmp_earnings_calendar") == 1
    assert sandbox.control.count("fmp_earnings") == 1


def test_a_missing_apikey_is_a_401(get, today):
    response = get(CALENDAR, headers={}, **_window(today))
    assert response.status_code == 401
    assert "Invalid API KEY" in response.json()["Error Message"]
