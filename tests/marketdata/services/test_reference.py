"""Reference data against the sandbox: ticker details validate and are stored; dividends sync daily."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from devtools.sandbox import data as sandbox_data
from marketdata import cache, services
from marketdata.exceptions import ProviderUnavailable, TickerNotFound, UnsupportedTickerType
from marketdata.models import Dividend, DividendCheck, SymbolDetails
from marketdata.reference import (
    MARKET_PAGES_GUESS,
    dividends_market_pages,
    dividends_sync,
    dividends_upcoming_many,
    ticker_details_ensure,
    ticker_details_many,
)
from tests.conftest import SANDBOX_TODAY

pytestmark = pytest.mark.django_db

TICKERS_PATH = "/v3/reference/tickers/"
DIVIDENDS_PATH = "/v3/reference/dividends"
PAYERS = ["AAPL", "KO", "JPM", "SPY", "TSLA"]


def upcoming_served(sandbox, symbol: str) -> list[tuple[date, float]]:
    """(ex-date, cash amount) of the symbol's declared upcoming dividends, asked without mojo."""
    params = {"ticker": symbol, "ex_dividend_date.gte": SANDBOX_TODAY.isoformat(), "order": "asc"}
    body = requests.get(
        sandbox.base_url + DIVIDENDS_PATH, params=params, headers={"Authorization": "Bearer k"}, timeout=10
    ).json()
    return [(date.fromisoformat(r["ex_dividend_date"]), r["cash_amount"]) for r in body["results"]]


def warnings_of(caplog: Any) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


# --- Validation --------------------------------------------------------------------------------
def test_validation_asks_ticker_details_once_and_stores_them(sandbox) -> None:
    assert services.ticker_validate("brk-b") is True

    assert (sandbox.control.count("ticker_details"), sandbox.control.count("aggs")) == (1, 0)
    details = ticker_details_many(["BRK.B"])["BRK.B"]
    assert (details.name, details.type, details.active) == (sandbox_data.UNIVERSE["BRK.B"].name, "CS", True)


def test_an_unknown_symbol_is_not_valid_and_nothing_is_stored(sandbox) -> None:
    assert services.ticker_validate("ZZZZ") is False
    assert not SymbolDetails.objects.exists()


def test_an_inactive_symbol_is_not_valid_and_nothing_is_stored(sandbox) -> None:
    sandbox.control.ticker_details("MSFT", active=False)
    assert services.ticker_validate("MSFT") is False
    assert not SymbolDetails.objects.exists()


def test_a_type_outside_the_setting_is_unsupported_and_nothing_is_stored(sandbox) -> None:
    sandbox.control.ticker_details("QQQ", type="FUND")
    with pytest.raises(UnsupportedTickerType) as raised:
        services.ticker_validate("QQQ")
    assert raised.value.details == {"symbol": "QQQ", "type": "FUND", "accepted": ["CS", "ETF", "ADRC"]}
    assert not SymbolDetails.objects.exists()


def test_the_accepted_types_come_from_the_setting(sandbox, settings) -> None:
    settings.MASSIVE_ACCEPTED_TICKER_TYPES = ["CS"]
    with pytest.raises(UnsupportedTickerType):
        services.ticker_validate("SPY")


def test_without_ticker_details_in_the_plan_a_week_of_bars_validates_with_a_warning(sandbox, caplog) -> None:
    sandbox.control.entitlement(TICKERS_PATH, entitled=False)

    assert services.ticker_validate("MSFT") is True
    assert services.ticker_validate("ZZZZ") is False

    # The lack is learned once (remembered): the second symbol goes to the bars straight away.
    assert (sandbox.control.count("ticker_details"), sandbox.control.count("aggs")) == (1, 2)
    assert any("lacks ticker details" in message for message in warnings_of(caplog))
    assert not SymbolDetails.objects.exists()


def test_validation_raises_when_the_provider_cannot_tell(sandbox) -> None:
    sandbox.control.down()
    with pytest.raises(ProviderUnavailable):
        services.ticker_validate("AAPL")


# --- Stored ticker details ---------------------------------------------------------------------
def test_ensure_fetches_only_the_symbols_without_details(sandbox) -> None:
    assert ticker_details_ensure(["AAPL"]) == {}
    assert ticker_details_ensure(["AAPL", "SPY", "KO"]) == {}

    assert sandbox.control.count("ticker_details") == 3
    details = ticker_details_many(["AAPL", "SPY", "KO", "MSFT"])
    assert {symbol: found.type for symbol, found in details.items()} == {
        "AAPL": "CS",
        "SPY": "ETF",
        "KO": "CS",
    }


def test_ensure_returns_a_symbols_error_beside_the_others_details(sandbox) -> None:
    errors = ticker_details_ensure(["ZZZZ", "AAPL"])
    assert set(errors) == {"ZZZZ"} and isinstance(errors["ZZZZ"], TickerNotFound)
    assert set(ticker_details_many(["ZZZZ", "AAPL"])) == {"AAPL"}


def test_ensure_without_ticker_details_in_the_plan_asks_once_and_warns_once(sandbox, caplog) -> None:
    sandbox.control.entitlement(TICKERS_PATH, entitled=False)

    assert ticker_details_ensure(["AAPL", "MSFT", "KO"]) == {}
    assert ticker_details_ensure(["AAPL", "MSFT", "KO"]) == {}

    assert sandbox.control.count("ticker_details") == 1
    assert len([m for m in warnings_of(caplog) if "ticker_details" in m]) == 1
    assert not SymbolDetails.objects.exists()


# --- Dividends ---------------------------------------------------------------------------------
def test_sync_stores_aaples_upcoming_dividend_with_its_cash_amount(sandbox) -> None:
    sync = dividends_sync(["AAPL"], today=SANDBOX_TODAY)

    assert sync.errors == {} and sync.stored == 1
    expected = upcoming_served(sandbox, "AAPL")
    assert expected and dividends_upcoming_many(["AAPL"], today=SANDBOX_TODAY) == {"AAPL": expected}


def test_sync_runs_at_most_once_a_day(sandbox) -> None:
    dividends_sync(["AAPL"], today=SANDBOX_TODAY)
    again = dividends_sync(["AAPL"], today=SANDBOX_TODAY)
    assert again.due == [] and sandbox.control.count("dividends") == 1

    tomorrow = dividends_sync(["AAPL"], today=SANDBOX_TODAY + timedelta(days=1))
    assert tomorrow.due == ["AAPL"] and sandbox.control.count("dividends") == 2


def test_one_symbol_is_asked_on_its_own(sandbox) -> None:
    sync = dividends_sync(["KO"], today=SANDBOX_TODAY)
    assert sync.asked == "per_symbol" and sandbox.control.count("dividends") == 1
    assert dividends_market_pages() == MARKET_PAGES_GUESS  # no market-wide answer seen yet


def test_many_symbols_are_asked_in_one_market_wide_answer(sandbox) -> None:
    sync = dividends_sync(PAYERS, today=SANDBOX_TODAY)

    assert sync.asked == "market" and sync.errors == {}
    assert sandbox.control.count("dividends") == 1  # the sandbox's upcoming dividends fit one page
    assert set(DividendCheck.objects.values_list("symbol", flat=True)) == set(PAYERS)
    stored = dividends_upcoming_many(PAYERS, today=SANDBOX_TODAY)
    assert stored == {symbol: upcoming_served(sandbox, symbol) for symbol in PAYERS}
    assert stored["TSLA"] == [] and stored["AAPL"]


def test_the_market_wide_answers_pages_decide_the_next_choice(sandbox) -> None:
    dividends_sync(PAYERS, today=SANDBOX_TODAY)
    assert dividends_market_pages() == 1

    # Two symbols now cost more one by one than the one page the market took.
    sync = dividends_sync(["KO", "JPM"], today=SANDBOX_TODAY + timedelta(days=1))
    assert sync.asked == "market" and sandbox.control.count("dividends") == 2


def test_a_cancelled_upcoming_dividend_disappears_and_past_ones_stay(sandbox) -> None:
    cancelled = Dividend.objects.create(
        symbol="AAPL",
        ex_dividend_date=SANDBOX_TODAY + timedelta(days=40),
        cash_amount=9.99,
        dividend_type="SC",
    )
    past = Dividend.objects.create(
        symbol="AAPL",
        ex_dividend_date=SANDBOX_TODAY - timedelta(days=80),
        cash_amount=0.26,
        dividend_type="CD",
    )

    dividends_sync(["AAPL"], today=SANDBOX_TODAY)

    assert not Dividend.objects.filter(pk=cancelled.pk).exists()
    assert Dividend.objects.filter(pk=past.pk).exists()
    assert dividends_upcoming_many(["AAPL"], today=SANDBOX_TODAY)["AAPL"] == upcoming_served(sandbox, "AAPL")


def test_without_dividends_in_the_plan_the_sync_is_skipped_with_a_warning(sandbox, caplog) -> None:
    sandbox.control.entitlement(DIVIDENDS_PATH, entitled=False)

    first = dividends_sync(PAYERS, today=SANDBOX_TODAY)
    second = dividends_sync(["AAPL"], today=SANDBOX_TODAY)

    assert first.not_entitled and second.not_entitled and first.errors == {}
    assert sandbox.control.count("dividends") == 1  # remembered: the second sync does not ask
    assert any("dividends" in message for message in warnings_of(caplog))
    assert not Dividend.objects.exists() and not DividendCheck.objects.exists()


def test_a_failed_market_answer_is_each_symbols_error_and_leaves_them_due(sandbox, settings) -> None:
    settings.PROVIDER_RETRY_ATTEMPTS = 1
    sandbox.control.fault(path=DIVIDENDS_PATH, kind="status", status=500, count=5)

    sync = dividends_sync(PAYERS, today=SANDBOX_TODAY)

    assert set(sync.errors) == set(PAYERS)
    assert all(isinstance(error, ProviderUnavailable) for error in sync.errors.values())
    assert not DividendCheck.objects.exists()
    assert dividends_sync(PAYERS, today=SANDBOX_TODAY).due == PAYERS


def test_the_market_page_count_is_remembered_in_redis(sandbox) -> None:
    cache.set_value(cache.dividends_market_pages_key(), 7)
    sync = dividends_sync(["AAPL", "KO", "SPY"], today=SANDBOX_TODAY)
    assert sync.asked == "per_symbol" and sandbox.control.count("dividends") == 3


def test_upcoming_dividends_are_soonest_first_without_past_ones() -> None:
    for days, amount in ((90, 0.3), (-5, 0.1), (10, 0.2)):
        Dividend.objects.create(
            symbol="KO",
            ex_dividend_date=SANDBOX_TODAY + timedelta(days=days),
            cash_amount=amount,
            dividend_type="CD",
        )
    assert dividends_upcoming_many(["KO", "PEP"], today=SANDBOX_TODAY) == {
        "KO": [(SANDBOX_TODAY + timedelta(days=10), 0.2), (SANDBOX_TODAY + timedelta(days=90), 0.3)],
        "PEP": [],
    }
