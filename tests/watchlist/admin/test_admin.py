"""Admin: staff see and edit every user's rows, through the same validation as the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import AFTER_CLOSE
from tests.factories import PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory
from watchlist import services
from watchlist.models import Position, Ticker, WatchlistItem

pytestmark = pytest.mark.django_db


def _position_form(ticker: Ticker, owner, **overrides) -> dict:
    return {
        "owner": owner.pk,
        "ticker": ticker.pk,
        "instrument": "stock",
        "option_ticker": "",
        "strategy": "stock",
        "quantity": "100",
        "multiplier": "",
        "entry_price": "150",
        "opened_at_0": "2026-11-02",
        "opened_at_1": "10:00:00",
        "closed_at_0": "",
        "closed_at_1": "",
        "exit_price": "",
        "notes": "",
    } | overrides


@pytest.mark.parametrize("model", ["ticker", "watchlistitem", "position"])
@pytest.mark.parametrize("page", ["", "add/"])
def test_changelist_and_add_pages_render_for_staff(staff_client, model, page):
    assert staff_client.get(f"/admin/watchlist/{model}/{page}").status_code == 200


def test_staff_see_every_users_positions(staff_client):
    PositionFactory.create(ticker__symbol="AAPL", owner__username="alice")
    PositionFactory.create(ticker__symbol="MSFT", owner__username="bob")
    page = staff_client.get("/admin/watchlist/position/").content.decode()
    assert "alice" in page and "bob" in page


def test_position_change_page_renders_with_derived_contract_fields(staff_client):
    position = PositionFactory.create(option=True, ticker__symbol="AAPL")
    page = staff_client.get(f"/admin/watchlist/position/{position.pk}/change/").content.decode()
    assert '<div class="readonly">2026-12-18</div>' in page


@pytest.mark.parametrize(("status", "expected"), [("open", "AAPL"), ("closed", "MSFT")])
def test_status_filter_lists_open_or_closed_positions(staff_client, status, expected):
    PositionFactory.create(ticker__symbol="AAPL")
    PositionFactory.create(ticker__symbol="MSFT", closed_at=AFTER_CLOSE, exit_price=1)
    page = staff_client.get(f"/admin/watchlist/position/?status={status}").content.decode()
    other = {"AAPL": "MSFT", "MSFT": "AAPL"}[expected]
    assert f"× {expected}" in page and f"× {other}" not in page


def test_adding_a_valid_position_saves_it_with_the_default_multiplier(staff_client):
    ticker, owner = TickerFactory.create(symbol="AAPL"), UserFactory.create()
    response = staff_client.post("/admin/watchlist/position/add/", _position_form(ticker, owner))
    assert response.status_code == 302
    assert Position.objects.get().multiplier == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity": "0"}, "Quantity cannot be 0"),
        ({"entry_price": "0"}, "The entry price must be above 0."),
        (
            {"instrument": "option", "strategy": "csp", "option_ticker": "O:MSFT261218P00150000"},
            "not an option root",
        ),
        ({"option_ticker": "O:AAPL261218P00150000"}, "A stock position has no option ticker."),
    ],
)
def test_invalid_position_shows_the_error_on_the_form_and_saves_nothing(staff_client, overrides, message):
    ticker, owner = TickerFactory.create(symbol="AAPL"), UserFactory.create()
    response = staff_client.post("/admin/watchlist/position/add/", _position_form(ticker, owner, **overrides))
    assert (response.status_code, message in response.content.decode()) == (200, True)
    assert not Position.objects.exists()


def test_change_form_ignores_edits_to_instrument_ticker_and_option_ticker(staff_client):
    position = PositionFactory.create(option=True, ticker__symbol="AAPL")
    form = _position_form(
        TickerFactory.create(symbol="MSFT"),
        position.owner,
        instrument="stock",
        strategy="csp",
        option_ticker="O:MSFT261218P00150000",
        quantity="-3",
        multiplier="100",
        entry_price="2.5",
    )
    staff_client.post(f"/admin/watchlist/position/{position.pk}/change/", form)
    position.refresh_from_db()
    unchanged = (position.instrument, position.ticker.symbol, position.option_ticker)
    assert (unchanged, position.quantity) == (("option", "AAPL", "O:AAPL261218P00150000"), -3)


def test_change_form_checks_rules_that_involve_a_fixed_field(staff_client):
    position = PositionFactory.create(ticker__symbol="AAPL")
    form = _position_form(position.ticker, position.owner, multiplier="100")
    response = staff_client.post(f"/admin/watchlist/position/{position.pk}/change/", form)
    position.refresh_from_db()
    assert ("multiplier is 1" in response.content.decode(), position.multiplier) == (True, 1)


def test_adding_a_ticker_normalises_the_symbol_and_keeps_the_name(staff_client):
    response = staff_client.post("/admin/watchlist/ticker/add/", {"symbol": "brk-b", "name": "Berkshire B"})
    assert response.status_code == 302
    assert Ticker.objects.values_list("symbol", "name").get() == ("BRK.B", "Berkshire B")


def test_adding_a_malformed_ticker_shows_the_error_and_saves_nothing(staff_client):
    response = staff_client.post("/admin/watchlist/ticker/add/", {"symbol": "AAPL1", "name": ""})
    assert (response.status_code, "A symbol is 1–5 letters" in response.content.decode()) == (200, True)
    assert not Ticker.objects.exists()


def test_deleting_the_last_watchlist_item_in_admin_goes_through_the_service(
    staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    unwatched: list[str] = []
    monkeypatch.setattr(services, "_on_symbol_unwatched", unwatched.append)
    item = WatchlistItemFactory.create(ticker__symbol="NVDA")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/admin/watchlist/watchlistitem/{item.pk}/delete/", {"post": "yes"})
    assert (WatchlistItem.objects.count(), unwatched) == (0, ["NVDA"])


def test_bulk_deleting_watchlist_items_goes_through_the_service(
    staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    unwatched: list[str] = []
    monkeypatch.setattr(services, "_on_symbol_unwatched", unwatched.append)
    items = [WatchlistItemFactory.create(ticker__symbol=symbol) for symbol in ("AAPL", "MSFT")]
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/watchlist/watchlistitem/",
            {"action": "delete_selected", "_selected_action": [item.pk for item in items], "post": "yes"},
        )
    assert (WatchlistItem.objects.count(), sorted(unwatched)) == (0, ["AAPL", "MSFT"])


def test_price_fields_accept_decimals_in_admin(staff_client):
    ticker, owner = TickerFactory.create(symbol="AAPL"), UserFactory.create()
    staff_client.post("/admin/watchlist/position/add/", _position_form(ticker, owner, entry_price="150.1234"))
    assert Position.objects.get().entry_price == Decimal("150.1234")
