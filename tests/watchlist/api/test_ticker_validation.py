"""A new symbol through the API: validated by its ticker details (exists, trades, a type mojo serves)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from devtools.sandbox import data as sandbox_data
from marketdata.models import SymbolDetails
from marketdata.reference import ticker_details_many
from tests.factories import UserFactory
from watchlist.models import Position, Ticker, WatchlistItem

pytestmark = pytest.mark.django_db

WATCHLIST = "/api/v1/watchlist/"
POSITIONS = "/api/v1/positions/"


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    return client


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def nothing_stored() -> bool:
    return not (
        Ticker.objects.exists()
        or WatchlistItem.objects.exists()
        or Position.objects.exists()
        or SymbolDetails.objects.exists()
    )


def stock_position(symbol: str) -> dict:
    return {
        "ticker": symbol,
        "instrument": "stock",
        "quantity": 5,
        "entry_price": "10.00",
        "strategy": "stock",
    }


@pytest.mark.parametrize(("symbol", "kind"), [("MSFT", "CS"), ("QQQ", "ETF")])
def test_a_new_symbol_takes_one_ticker_details_call_no_bars_and_its_details_are_stored(
    api, sandbox, symbol: str, kind: str
) -> None:
    assert api.post(WATCHLIST, {"symbol": symbol}).status_code == 201

    assert (sandbox.control.count("ticker_details"), sandbox.control.count("aggs")) == (1, 0)
    details = ticker_details_many([symbol])[symbol]
    assert (details.type, details.name, details.active) == (kind, sandbox_data.UNIVERSE[symbol].name, True)


def test_a_fund_is_400_unsupported_ticker_type_and_nothing_is_stored(api, sandbox) -> None:
    sandbox.control.ticker_details("QQQ", type="FUND")

    error = error_of(api.post(WATCHLIST, {"symbol": "QQQ"}), 400)

    assert error["code"] == "unsupported_ticker_type"
    assert error["details"] == {"symbol": "QQQ", "type": "FUND", "accepted": ["CS", "ETF", "ADRC"]}
    assert "FUND" in error["message"]
    assert nothing_stored()


def test_a_position_on_a_fund_is_400_and_nothing_is_stored(api, sandbox) -> None:
    sandbox.control.ticker_details("SPY", type="FUND")

    error = error_of(api.post(POSITIONS, stock_position("SPY"), format="json"), 400)

    assert error["code"] == "unsupported_ticker_type"
    assert nothing_stored()


def test_a_type_the_setting_accepts_is_added(api, sandbox, settings) -> None:
    settings.MASSIVE_ACCEPTED_TICKER_TYPES = ["CS", "ETF", "ADRC", "FUND"]
    sandbox.control.ticker_details("QQQ", type="FUND")

    assert api.post(WATCHLIST, {"symbol": "QQQ"}).status_code == 201


def test_an_inactive_symbol_is_400_unknown_symbol_and_nothing_is_stored(api, sandbox) -> None:
    sandbox.control.ticker_details("MSFT", active=False, delisted_utc="2026-11-20T00:00:00Z")

    error = error_of(api.post(WATCHLIST, {"symbol": "MSFT"}), 400)

    assert error["code"] == "unknown_symbol"
    assert nothing_stored()


def test_without_ticker_details_in_the_plan_the_weeks_bars_validate_and_the_add_succeeds(
    api, sandbox
) -> None:
    sandbox.control.entitlement("/v3/reference/tickers/", entitled=False)

    assert api.post(WATCHLIST, {"symbol": "MSFT"}).status_code == 201

    assert (sandbox.control.count("ticker_details"), sandbox.control.count("aggs")) == (1, 1)
    assert WatchlistItem.objects.filter(ticker__symbol="MSFT").exists()


def test_without_ticker_details_an_unknown_symbol_is_still_400_unknown_symbol(api, sandbox) -> None:
    sandbox.control.entitlement("/v3/reference/tickers/", entitled=False)

    assert error_of(api.post(WATCHLIST, {"symbol": "ZZZZ"}), 400)["code"] == "unknown_symbol"
    assert nothing_stored()
