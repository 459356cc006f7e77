"""FMP earnings: the stable endpoint's rows and the legacy endpoint's 403, over `requests`."""

from __future__ import annotations

import itertools
from datetime import date

FMP_KEY = {"apikey": "test-fmp-key"}
STABLE = "/stable/earnings"
LEGACY = "/api/v3/historical/earning_calendar/AAPL"


def _get(get, path, **params):
    return get(path, headers={}, **FMP_KEY, **params)


def test_stable_rows_have_fmp_fields_newest_first(get):
    rows = _get(get, STABLE, symbol="AAPL").json()
    assert set(rows[0]) == {
        "symbol", "date", "epsActual", "epsEstimated", "revenueActual", "revenueEstimated", "lastUpdated",
    }  # fmt: skip
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert len(rows) >= 20  # five years of quarters


def test_past_reports_have_actuals_and_upcoming_ones_null(get, today):
    rows = _get(get, STABLE, symbol="AAPL").json()
    upcoming = [r for r in rows if date.fromisoformat(r["date"]) >= today]
    past = [r for r in rows if date.fromisoformat(r["date"]) < today]
    assert upcoming and past
    assert all(r["epsActual"] is None and r["revenueActual"] is None for r in upcoming)
    assert all(r["epsEstimated"] is not None for r in upcoming)
    assert all(r["epsActual"] is not None and r["revenueActual"] is not None for r in past)


def test_reports_are_quarterly(get):
    past = [date.fromisoformat(r["date"]) for r in _get(get, STABLE, symbol="MSFT").json()][2:10]
    gaps = [(a - b).days for a, b in itertools.pairwise(past)]
    assert all(70 <= gap <= 110 for gap in gaps)


def test_limit_keeps_the_newest_rows(get):
    everything = _get(get, STABLE, symbol="AAPL").json()
    assert _get(get, STABLE, symbol="AAPL", limit=3).json() == everything[:3]


def test_unknown_symbol_and_etfs_have_no_earnings(get):
    assert _get(get, STABLE, symbol="ZZZZQ").json() == []
    assert _get(get, STABLE, symbol="SPY").json() == []


def test_legacy_endpoint_answers_403_legacy_message_by_default(get):
    response = _get(get, LEGACY)
    assert response.status_code == 403
    assert response.json()["Error Message"].startswith("Legacy Endpoint")


def test_legacy_endpoint_answers_rows_when_enabled(sandbox, get):
    sandbox.control.legacy_fmp(True)
    rows = _get(get, LEGACY, limit=4).json()
    assert len(rows) == 4
    assert {"date", "symbol", "eps", "epsEstimated", "time", "revenue", "fiscalDateEnding"} <= set(rows[0])
    assert rows[0]["time"] in ("amc", "bmo")


def test_reset_restores_the_legacy_403(sandbox, get):
    sandbox.control.legacy_fmp(True)
    sandbox.control.reset()
    assert _get(get, LEGACY).status_code == 403


def test_missing_apikey_is_401_in_fmp_style(get):
    response = get(STABLE, headers={}, symbol="AAPL")
    assert response.status_code == 401
    assert "Invalid API KEY" in response.json()["Error Message"]


def test_massive_bearer_header_does_not_authorise_fmp(get):
    assert get(STABLE, symbol="AAPL").status_code == 401
