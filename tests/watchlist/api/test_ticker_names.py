"""A ticker's name as shown: the one typed in the admin, else the provider's (its ticker details).

Through the watchlist API and the admin's Ticker pages, validated against the sandbox.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from marketdata.models import SymbolDetails
from marketdata.reference import ticker_details_ensure
from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory
from watchlist.models import Ticker

pytestmark = pytest.mark.django_db

WATCHLIST = "/api/v1/watchlist/"
TICKERS = "/admin/watchlist/ticker/"
ROW = r'<th class="field-symbol"><a [^>]*>([^<]+)</a></th>\s*<td class="field-shown_name">([^<]*)</td>'


@pytest.fixture
def user():
    return UserFactory.create(username="alice")


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


def _listed(page: str) -> list[tuple[str, str]]:
    """(symbol, name) of each changelist row, in the page's order."""
    return [(symbol, name.replace("&amp;", "&")) for symbol, name in re.findall(ROW, page)]


# --- Watchlist API -----------------------------------------------------------------------------
def test_adding_a_new_symbol_answers_with_the_providers_name(api, sandbox) -> None:
    response = api.post(WATCHLIST, {"symbol": "aapl"}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["symbol"], response.json()["name"]) == ("AAPL", "Apple Inc.")


def test_the_watchlist_lists_a_new_symbol_with_the_providers_name(api, sandbox) -> None:
    api.post(WATCHLIST, {"symbol": "SPY"}, format="json")

    body = api.get(WATCHLIST).json()

    assert [(item["symbol"], item["name"]) for item in body["results"]] == [("SPY", "SPDR S&P 500 ETF Trust")]


def test_a_name_typed_in_the_admin_wins_over_the_providers(api, user, sandbox) -> None:
    ticker_details_ensure(["AAPL"])
    assert SymbolDetails.objects.get(symbol="AAPL").name == "Apple Inc."
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL", name="Apple (mine)"))

    body = api.get(WATCHLIST).json()

    assert [item["name"] for item in body["results"]] == ["Apple (mine)"]


# --- Admin -------------------------------------------------------------------------------------
def test_the_ticker_changelist_shows_the_providers_name_in_the_name_column(admin_client, sandbox) -> None:
    TickerFactory.create(symbol="AAPL", name="")
    TickerFactory.create(symbol="KO", name="")  # no details stored: nothing to show
    ticker_details_ensure(["AAPL"])

    page = admin_client.get(TICKERS).content.decode()

    assert _listed(page) == [("AAPL", "Apple Inc."), ("KO", "—")]


def test_the_ticker_changelist_sorts_by_the_name_as_shown(admin_client, sandbox) -> None:
    # Provider: Apple Inc., Alphabet Inc. Class A; typed: Aardvark. Neither the symbols'
    # order nor the provider's names' order nor the typed names' order is the shown names'.
    for symbol in ("AAPL", "GOOGL", "MSFT"):
        TickerFactory.create(symbol=symbol, name="Aardvark Holdings" if symbol == "MSFT" else "")
    ticker_details_ensure(["AAPL", "GOOGL", "MSFT"])

    ascending = _listed(admin_client.get(f"{TICKERS}?o=2").content.decode())
    descending = _listed(admin_client.get(f"{TICKERS}?o=-2").content.decode())

    assert [symbol for symbol, _ in ascending] == ["MSFT", "GOOGL", "AAPL"]
    assert descending == ascending[::-1]


def test_the_admin_refuses_a_fund_with_its_type_on_the_form_and_saves_nothing(admin_client, sandbox) -> None:
    sandbox.control.ticker_details("IWM", type="FUND")

    response = admin_client.post(f"{TICKERS}add/", {"symbol": "IWM", "name": ""})

    assert response.status_code == 200  # the form again, not a redirect to the list
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>([^<]+)</li>', response.content.decode())
    assert any("FUND" in error for error in errors), errors
    assert not Ticker.objects.exists() and not SymbolDetails.objects.exists()
