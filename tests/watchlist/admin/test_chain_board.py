"""The chain board: the cached chain of one expiration, as the options and signals endpoints see it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from marketdata import clock
from marketdata.chain_board import DEFAULT_MIN_DTE
from marketdata.services.chain_board import chain_board_get
from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed():  # type: ignore[no-untyped-def]
    ticker = TickerFactory.create(symbol="AAPL")
    WatchlistItemFactory.create(owner=UserFactory.create(), ticker=ticker)
    call_command("refresh_market_data", verbosity=0)
    return ticker


def _api(admin_user, path: str) -> dict:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_default_expiration_is_the_nearest_at_a_week_or_more(refreshed, sandbox):
    before = sandbox.control.counters()["total"]
    board = chain_board_get("AAPL", expiration=None, shares_held=0)

    assert sandbox.control.counters()["total"] == before  # the cache only
    dtes = [tab["dte"] for tab in board["tabs"]]
    assert dtes == sorted(dtes) and len(dtes) > 1
    assert board["dte"] == min(d for d in dtes if d >= DEFAULT_MIN_DTE)
    assert board["expiration"] == next(t["expiration"] for t in board["tabs"] if t["dte"] == board["dte"])


def test_the_rows_are_the_options_endpoints_contracts_of_that_expiration(refreshed, admin_user):
    board = chain_board_get("AAPL", expiration=None, shares_held=0)
    dte = board["dte"]
    listed = _api(admin_user, f"/api/v1/stocks/AAPL/options/?min_dte={dte}&max_dte={dte}")["results"]
    expected = {
        c["option_ticker"]: (c["strike"], c["mid"], c["iv"], c["delta"], c["open_interest"])
        for c in listed
        if c["expiration"] == board["expiration"]
    }
    shown = {
        cell["option_ticker"]: (row["strike"], cell["mid"], cell["iv"], cell["delta"], cell["open_interest"])
        for row in board["rows"]
        for cell in (row["call"], row["put"])
        if cell is not None
    }
    assert shown == expected
    strikes = [row["strike"] for row in board["rows"]]
    assert strikes == sorted(set(strikes))
    (atm,) = [row for row in board["rows"] if row["atm"]]
    assert abs(atm["strike"] - board["spot"]) == min(abs(s - board["spot"]) for s in strikes)


def test_the_expected_move_is_the_dashboards(refreshed, admin_user):
    WatchlistItemFactory.create(owner=admin_user, ticker=refreshed)
    board = chain_board_get("AAPL", expiration=None, shares_held=0)
    (row,) = _api(admin_user, "/api/v1/dashboard/")["watchlist"]

    assert board["expected_move"] == row["expected_move"] is not None


def test_the_recommended_contracts_are_the_signals_endpoints(refreshed, admin_user):
    signals = _api(admin_user, "/api/v1/stocks/AAPL/signals/")["strategies"]
    held = {
        (leg["option_ticker"], strategy, leg["side"])
        for strategy, candidates in signals.items()
        for candidate in candidates
        for leg in candidate["legs"]
    }
    assert held, "the sandbox's AAPL chain should give some signal"
    seen = set()
    for tab in chain_board_get("AAPL", expiration=None, shares_held=0)["tabs"]:
        board = chain_board_get("AAPL", expiration=date.fromisoformat(tab["expiration"]), shares_held=0)
        for row in board["rows"]:
            for cell in (row["call"], row["put"]):
                for recommendation in cell["recommended"] if cell else ():
                    seen.add((cell["option_ticker"], recommendation["strategy"], recommendation["side"]))
    assert seen == held


def test_the_page_shows_the_chosen_expiration_and_marks_the_recommended(refreshed, admin_client, sandbox):
    tabs = chain_board_get("AAPL", expiration=None, shares_held=0)["tabs"]
    chosen = tabs[-1]["expiration"]
    before = sandbox.control.counters()["total"]

    page = admin_client.get(f"/admin/watchlist/ticker/{refreshed.pk}/chain/?expiration={chosen}")

    assert page.status_code == 200
    assert sandbox.control.counters()["total"] == before
    html = page.content.decode()
    assert f'id="chain-board" class="mojo-chain" data-expiration="{chosen}"' in html
    assert 'aria-current="page"' in html and f'data-expiration="{chosen}"' in html
    assert html.count('<a href="?expiration=') == len(tabs)


def test_the_ticker_page_links_its_board(refreshed, admin_client):
    page = admin_client.get(f"/admin/watchlist/ticker/{refreshed.pk}/change/")

    assert f'href="/admin/watchlist/ticker/{refreshed.pk}/chain/"' in page.content.decode()


@pytest.mark.parametrize(
    ("asked", "status", "says"),
    [("2026-13-01", 400, "is not a date"), ("2001-01-19", 404, "lists no contract expiring on 2001-01-19")],
)
def test_a_bad_expiration_says_why_and_offers_the_chains(refreshed, admin_client, asked, status, says):
    page = admin_client.get(f"/admin/watchlist/ticker/{refreshed.pk}/chain/?expiration={asked}")

    assert page.status_code == status
    html = page.content.decode()
    assert says in html
    assert 'id="chain-board"' not in html
    assert html.count('<a href="?expiration=') > 1  # the expirations to pick from


def test_a_symbol_without_a_cached_chain_says_so(admin_client, sandbox):
    ticker = TickerFactory.create(symbol="MSFT")
    before = sandbox.control.counters()["total"]

    page = admin_client.get(f"/admin/watchlist/ticker/{ticker.pk}/chain/")

    assert page.status_code == 200
    assert sandbox.control.counters()["total"] == before
    assert "No options chain is cached for MSFT" in page.content.decode()


def test_the_board_needs_a_staff_login(refreshed, client):
    page = client.get(f"/admin/watchlist/ticker/{refreshed.pk}/chain/")

    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_today_is_the_markets(refreshed):
    board = chain_board_get("AAPL", expiration=None, shares_held=0)

    assert all(date.fromisoformat(t["expiration"]) >= clock.market_today() for t in board["tabs"])
