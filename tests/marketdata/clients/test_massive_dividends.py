"""Massive's dividends against the sandbox: typed records, every page, one symbol or the market."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from massive.rest.models import Dividend as LibraryDividend

from marketdata.clients import get_massive_client
from marketdata.clients.massive_records import dividend_from_model
from marketdata.domain import Dividend
from marketdata.exceptions import NotEntitled
from tests.conftest import SANDBOX_TODAY

DIVIDENDS_PATH = "/v3/reference/dividends"


def served(sandbox, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every dividend record the sandbox serves for `params` (all pages), without mojo's client."""
    records: list[dict[str, Any]] = []
    url: str | None = sandbox.base_url + DIVIDENDS_PATH
    while url:
        body = requests.get(url, params=params, headers={"Authorization": "Bearer k"}, timeout=10).json()
        records += body.get("results", [])
        url, params = body.get("next_url"), {}
    return records


def expected(record: dict[str, Any]) -> Dividend:
    def day(name: str) -> date | None:
        return date.fromisoformat(record[name]) if record.get(name) else None

    return Dividend(
        symbol=record["ticker"],
        ex_dividend_date=date.fromisoformat(record["ex_dividend_date"]),
        cash_amount=record["cash_amount"],
        declaration_date=day("declaration_date"),
        record_date=day("record_date"),
        pay_date=day("pay_date"),
        frequency=record["frequency"],
        dividend_type=record["dividend_type"],
    )


def test_a_symbols_upcoming_dividends_are_typed_in_one_call(sandbox) -> None:
    dividends = get_massive_client().list_dividends(ex_dividend_date_gte=SANDBOX_TODAY, ticker="AAPL")
    assert sandbox.control.count("dividends") == 1

    records = served(sandbox, {"ticker": "AAPL", "ex_dividend_date.gte": SANDBOX_TODAY.isoformat()})
    assert records, "the sandbox declares AAPL's next dividend"
    assert dividends == [expected(record) for record in sorted(records, key=lambda r: r["ex_dividend_date"])]
    assert all(d.symbol == "AAPL" and d.ex_dividend_date >= SANDBOX_TODAY for d in dividends)


def test_the_whole_markets_dividends_follow_every_page_at_the_maximum_limit(sandbox) -> None:
    since = date(2020, 1, 1)
    records = served(sandbox, {"ex_dividend_date.gte": since.isoformat(), "limit": 1000})
    assert len(records) > 1000, "enough history for a second page"
    before = sandbox.control.count("dividends")

    dividends = get_massive_client().list_dividends(ex_dividend_date_gte=since)

    assert sandbox.control.count("dividends") - before == len(records) // 1000 + 1
    assert sorted(dividends, key=lambda d: (d.symbol, d.ex_dividend_date)) == sorted(
        (expected(record) for record in records), key=lambda d: (d.symbol, d.ex_dividend_date)
    )
    assert [d.ex_dividend_date for d in dividends] == sorted(d.ex_dividend_date for d in dividends)


def test_a_symbol_that_pays_none_has_no_dividends(sandbox) -> None:
    assert get_massive_client().list_dividends(ex_dividend_date_gte=date(2022, 1, 1), ticker="TSLA") == []


def test_a_plan_without_dividends_is_not_entitled(sandbox) -> None:
    sandbox.control.entitlement(DIVIDENDS_PATH, entitled=False)
    with pytest.raises(NotEntitled) as raised:
        get_massive_client().list_dividends(ex_dividend_date_gte=SANDBOX_TODAY)
    assert raised.value.details == {"endpoint": "dividends"}


def test_a_record_is_typed_with_its_optional_dates_left_none() -> None:
    record = LibraryDividend(
        ticker="KO", cash_amount=0.51, ex_dividend_date="2026-12-01", dividend_type="SC", frequency=0
    )
    assert dividend_from_model(record) == Dividend(
        symbol="KO", ex_dividend_date=date(2026, 12, 1), cash_amount=0.51, frequency=0, dividend_type="SC"
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"ex_dividend_date": None},
        {"ex_dividend_date": "12/01/2026"},
        {"cash_amount": None},
        {"cash_amount": -0.1},
        {"dividend_type": None},
        {"ticker": ""},
    ],
)
def test_a_record_without_a_usable_ticker_ex_date_amount_or_type_is_refused(broken: dict[str, Any]) -> None:
    fields = {"ticker": "KO", "cash_amount": 0.51, "ex_dividend_date": "2026-12-01", "dividend_type": "CD"}
    with pytest.raises(ValueError):
        dividend_from_model(LibraryDividend(**(fields | broken)))
