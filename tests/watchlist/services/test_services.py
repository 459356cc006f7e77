"""Services: the writes, each atomic, each validated through the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from marketdata.exceptions import InvalidSymbol
from tests.conftest import AFTER_CLOSE
from tests.factories import PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory
from watchlist import services
from watchlist.models import IMMUTABLE_MESSAGE, Position, Ticker, WatchlistItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def unwatched(monkeypatch):
    """Record the symbols `_on_symbol_unwatched` is called with."""
    calls: list[str] = []
    monkeypatch.setattr(services, "_on_symbol_unwatched", calls.append)
    return calls


# --- ticker_get_or_create ----------------------------------------------------------------------


def test_ticker_get_or_create_stores_the_normalised_symbol():
    assert services.ticker_get_or_create(symbol=" brk-b ").symbol == "BRK.B"


def test_ticker_get_or_create_returns_the_existing_row():
    existing = TickerFactory.create(symbol="AAPL")
    assert services.ticker_get_or_create(symbol="aapl") == existing


def test_ticker_get_or_create_rejects_a_malformed_symbol_and_writes_nothing():
    with pytest.raises(InvalidSymbol):
        services.ticker_get_or_create(symbol="AAPL1")
    assert not Ticker.objects.exists()


# --- watchlist_add / watchlist_remove -----------------------------------------------------------------


def test_watchlist_add_twice_keeps_one_row_and_reports_it_was_there():
    user = UserFactory.create()
    _, first = services.watchlist_add(user=user, symbol="NVDA")
    _, second = services.watchlist_add(user=user, symbol="nvda")
    assert (first, second, WatchlistItem.objects.count()) == (True, False, 1)


def test_watchlist_remove_deletes_only_that_users_item():
    mine = WatchlistItemFactory.create(ticker__symbol="SPY")
    theirs = WatchlistItemFactory.create(ticker=mine.ticker)
    services.watchlist_remove(user=mine.owner, symbol="SPY")
    assert list(WatchlistItem.objects.all()) == [theirs]


def test_watchlist_remove_of_an_unwatched_symbol_raises_does_not_exist():
    with pytest.raises(WatchlistItem.DoesNotExist):
        services.watchlist_remove(user=UserFactory.create(), symbol="AAPL")


def test_removing_the_last_watcher_calls_the_unwatched_hook_after_commit(
    unwatched, django_capture_on_commit_callbacks
):
    item = WatchlistItemFactory.create(ticker__symbol="BRK.B")
    with django_capture_on_commit_callbacks(execute=True):
        services.watchlist_remove(user=item.owner, symbol="brk-b")
        assert unwatched == []  # not before the commit
    assert unwatched == ["BRK.B"]


def test_removing_one_of_two_watchers_does_not_call_the_unwatched_hook(
    unwatched, django_capture_on_commit_callbacks
):
    item = WatchlistItemFactory.create(ticker__symbol="AAPL")
    WatchlistItemFactory.create(ticker=item.ticker)
    with django_capture_on_commit_callbacks(execute=True):
        services.watchlist_remove(user=item.owner, symbol="AAPL")
    assert unwatched == []


# --- positions -------------------------------------------------------------------------------------


def _open(**overrides: Any) -> Position:
    fields: dict[str, Any] = {
        "user": UserFactory.create(),
        "symbol": "AAPL",
        "instrument": "option",
        "option_ticker": "O:AAPL261218P00150000",
        "quantity": -2,
        "entry_price": Decimal("2.35"),
        "strategy": "csp",
    }
    return services.position_open(**(fields | overrides))


def test_position_open_saves_an_option_with_the_default_multiplier_and_now():
    position = _open()
    position.refresh_from_db()
    assert (position.ticker.symbol, position.multiplier, position.opened_at) == ("AAPL", 100, AFTER_CLOSE)


def test_invalid_position_leaves_no_row_not_even_its_new_ticker():
    with pytest.raises(ValidationError):
        _open(quantity=0)
    assert (Position.objects.count(), Ticker.objects.count()) == (0, 0)


def test_position_open_rejects_an_option_root_of_another_symbol():
    with pytest.raises(ValidationError) as caught:
        _open(symbol="MSFT")
    assert "option_ticker" in caught.value.message_dict


def test_position_update_closes_a_position():
    position = PositionFactory.create(opened_at=datetime(2026, 1, 5, 15, tzinfo=UTC))
    closed_at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    services.position_update(position=position, closed_at=closed_at, exit_price=Decimal("180"))
    position.refresh_from_db()
    assert (position.status, position.exit_price) == ("closed", Decimal("180"))


def test_position_update_accepts_the_unchanged_symbol():
    position = PositionFactory.create(ticker__symbol="BRK.B")
    services.position_update(position=position, symbol="brk-b", notes="same ticker")
    position.refresh_from_db()
    assert position.notes == "same ticker"


def test_position_update_refuses_another_symbol_and_saves_nothing():
    position = PositionFactory.create(ticker__symbol="AAPL", notes="")
    with pytest.raises(ValidationError) as caught:
        services.position_update(position=position, symbol="MSFT", notes="moved")
    position.refresh_from_db()
    assert (caught.value.message_dict, position.notes) == ({"ticker": [IMMUTABLE_MESSAGE]}, "")


def test_position_update_refuses_to_change_the_instrument():
    position = PositionFactory.create()
    with pytest.raises(ValidationError) as caught:
        services.position_update(position=position, instrument="option", option_ticker="O:QA261218P00150000")
    assert {"instrument", "option_ticker"} <= set(caught.value.message_dict)


def test_position_update_rejects_unknown_fields():
    with pytest.raises(TypeError):
        services.position_update(position=PositionFactory.create(), owner=UserFactory.create())


def test_position_delete_removes_the_row():
    position = PositionFactory.create()
    services.position_delete(position=position)
    assert not Position.objects.exists()
