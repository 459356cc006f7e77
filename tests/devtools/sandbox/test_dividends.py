"""Cash dividends: the payers' quarterly schedules, listed once declared, in the provider's wire format."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

import pytest
from massive.rest.models import Dividend

from devtools.sandbox import data, dividends
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

DIVIDENDS = "/v3/reference/dividends"


def _pin_day(sandbox, day: date) -> None:
    sandbox.control.pin_now(datetime.combine(day, time(12), tzinfo=data.NEW_YORK))


def _aapl(client, **params) -> list[Dividend]:
    return list(client.list_dividends(ticker="AAPL", limit=1000, **params))


def test_official_client_lists_aapls_quarterly_cash_dividends(client):
    listed = _aapl(client)
    assert all(isinstance(d, Dividend) for d in listed)
    assert len(listed) >= 40  # back to the start of the generated span
    assert {(d.currency, d.dividend_type, d.frequency) for d in listed} == {("USD", "CD", 4)}
    exes = [date.fromisoformat(d.ex_dividend_date) for d in listed]
    assert all(80 <= (a - b).days <= 100 for a, b in itertools.pairwise(exes))


def test_body_validates_against_the_provider_schema(get):
    body = get(DIVIDENDS, limit=50).json()
    assert_wire_shape(body, "dividends")
    assert body["status"] == "OK" and body["request_id"] and len(body["results"]) == 50


def test_aapl_has_history_and_an_upcoming_declared_dividend(client, today):
    listed = _aapl(client)
    upcoming = [d for d in listed if date.fromisoformat(d.ex_dividend_date) > today]
    assert len(upcoming) == 1
    assert date.fromisoformat(upcoming[0].declaration_date) <= today
    assert len(listed) - len(upcoming) >= 40


def test_a_dividend_is_listed_from_its_declaration_date_on(sandbox, client, today):
    coming = next(d for d in dividends.schedule("AAPL") if d.declaration_date > today)
    _pin_day(sandbox, coming.declaration_date - timedelta(days=1))
    assert coming.ex_dividend_date.isoformat() not in {d.ex_dividend_date for d in _aapl(client)}
    _pin_day(sandbox, coming.declaration_date)
    assert coming.ex_dividend_date.isoformat() in {d.ex_dividend_date for d in _aapl(client)}


@pytest.mark.parametrize("symbol", ["TSLA", "PLTR", "COIN", "AMZN", "BRK.B"])
def test_growth_names_pay_none(client, symbol):
    assert list(client.list_dividends(ticker=symbol)) == []


@pytest.mark.parametrize("symbol", ["SPY", "QQQ", "IWM", "KO", "JPM", "KALU"])
def test_funds_and_mature_companies_pay(client, symbol):
    assert len(list(client.list_dividends(ticker=symbol, limit=1000))) >= 40


def test_dates_follow_the_declaration_ex_record_pay_pattern(client):
    for d in _aapl(client) + list(client.list_dividends(ticker="SPY", limit=1000)):
        declared, ex, paid = (
            date.fromisoformat(x) for x in (d.declaration_date, d.ex_dividend_date, d.pay_date)
        )
        assert d.record_date == d.ex_dividend_date
        assert data.session_hours(ex) is not None
        assert declared.weekday() < 5 and paid.weekday() < 5
        assert 21 <= (ex - declared).days <= 35
        assert 10 <= (paid - ex).days <= 21


def test_the_amount_is_a_quarter_of_the_yield_at_the_years_first_price_flat_within_the_year(client):
    in_2025 = [
        d.cash_amount
        for d in _aapl(client, ex_dividend_date_gte="2025-01-01", ex_dividend_date_lt="2026-01-01")
    ]
    assert len(in_2025) == 4 and len(set(in_2025)) == 1
    (last_of_2024,) = client.get_aggs("AAPL", 1, "day", "2024-12-31", "2024-12-31")
    assert in_2025[0] == pytest.approx(dividends.YIELDS["AAPL"][0] * last_of_2024.close / 4, abs=0.006)


def test_avgo_paid_ten_times_more_per_share_before_its_split(client):
    in_2024 = list(
        client.list_dividends(
            ticker="AVGO", ex_dividend_date_gte="2024-01-01", ex_dividend_date_lt="2025-01-01", order="asc"
        )
    )
    before, after = (
        [d.cash_amount for d in in_2024 if (d.ex_dividend_date < "2024-07-15") == side]
        for side in (True, False)
    )
    assert len(before) == len(after) == 2
    assert after[0] == pytest.approx(before[0] / 10, abs=0.005)  # the same amount, in cents


def test_ids_are_unique_and_stable(client):
    first, second = _aapl(client), _aapl(client)
    assert [d.id for d in first] == [d.id for d in second]
    assert len({d.id for d in first}) == len(first)
    assert all(d.id.startswith("E") for d in first)


# --- filters, order and pages ------------------------------------------------------------


def test_filters_select_by_ticker_and_ex_dividend_date(client):
    june = [
        d.ticker
        for d in client.list_dividends(
            ex_dividend_date_gte="2026-06-01", ex_dividend_date_lte="2026-06-30", limit=1000
        )
    ]
    assert "AAPL" in june and "TSLA" not in june
    spy = client.list_dividends(ticker="SPY", ex_dividend_date_gt="2026-01-01", limit=1000)
    assert all(d.ticker == "SPY" and d.ex_dividend_date > "2026-01-01" for d in spy)
    tickers = {d.ticker for d in client.list_dividends(ticker_gte="V", ticker_lt="X", limit=1000)}
    assert tickers == {"V", "VZ", "WMT"}


def test_an_exact_ex_dividend_date_finds_that_dividend(client):
    latest = _aapl(client)[0]
    (found,) = client.list_dividends(ticker="AAPL", ex_dividend_date=latest.ex_dividend_date)
    assert found == latest


def test_newest_ex_date_first_by_default_and_order_asc_reverses(client):
    newest = [d.ex_dividend_date for d in _aapl(client)]
    oldest = [d.ex_dividend_date for d in _aapl(client, order="asc")]
    assert newest == sorted(newest, reverse=True)
    assert oldest == newest[::-1]


def test_sort_by_ticker(client):
    listed = [
        d.ticker
        for d in client.list_dividends(
            sort="ticker", order="asc", ex_dividend_date_gte="2026-01-01", limit=1000
        )
    ]
    assert listed == sorted(listed) and len(set(listed)) > 30


def test_small_pages_return_every_dividend_exactly_once(client, sandbox):
    whole = _aapl(client)
    sandbox.control.reset()
    paged = list(client.list_dividends(ticker="AAPL", limit=7))
    assert paged == whole
    assert sandbox.control.count("dividends") == math.ceil(len(whole) / 7)


def test_next_url_is_absolute_and_carries_the_filters(get, sandbox):
    first = get(DIVIDENDS, ticker="KO", limit=3).json()
    link = urlsplit(first["next_url"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{sandbox.base_url}{DIVIDENDS}"
    second = get(f"{link.path}?{link.query}").json()
    assert {r["ticker"] for r in second["results"]} == {"KO"}
    assert second["results"][0]["ex_dividend_date"] < first["results"][-1]["ex_dividend_date"]


def test_default_page_is_ten(get):
    assert len(get(DIVIDENDS).json()["results"]) == 10


@pytest.mark.parametrize(
    "params",
    [{"limit": 1001}, {"ex_dividend_date.gte": "last-year"}, {"sort": "amount"}, {"frequency": 3}],
    ids=str,
)
def test_bad_parameters_are_a_400(get, params):
    response = get(DIVIDENDS, **params)
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_a_request_without_a_key_is_refused(get):
    assert get(DIVIDENDS, headers={}).status_code == 401
