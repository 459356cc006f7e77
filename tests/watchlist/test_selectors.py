"""Selectors: reads scoped to one owner, with the API's filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from marketdata.exceptions import InvalidSymbol
from tests.factories import PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory
from watchlist import selectors

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 5, 15, tzinfo=UTC)


def test_watchlist_for_lists_only_the_users_items_alphabetically():
    user = UserFactory.create()
    for symbol in ("MSFT", "AAPL"):
        WatchlistItemFactory.create(owner=user, ticker__symbol=symbol)
    WatchlistItemFactory.create(ticker__symbol="NVDA")
    assert [item.ticker.symbol for item in selectors.watchlist_for(user)] == ["AAPL", "MSFT"]


def test_positions_for_excludes_other_users_positions():
    mine = PositionFactory.create()
    PositionFactory.create()
    assert list(selectors.positions_for(mine.owner)) == [mine]


def test_positions_for_filters_by_normalised_ticker():
    user = UserFactory.create()
    brk = PositionFactory.create(owner=user, ticker__symbol="BRK.B")
    PositionFactory.create(owner=user, ticker__symbol="AAPL")
    assert list(selectors.positions_for(user, ticker="brk-b")) == [brk]


def test_positions_for_filters_by_strategy():
    user = UserFactory.create()
    csp = PositionFactory.create(owner=user, option=True)
    PositionFactory.create(owner=user)
    assert list(selectors.positions_for(user, strategy="csp")) == [csp]


@pytest.mark.parametrize("status", ["open", "closed"])
def test_positions_for_filters_by_status(status):
    user = UserFactory.create()
    positions = {
        "open": PositionFactory.create(owner=user, opened_at=JAN),
        "closed": PositionFactory.create(
            owner=user, opened_at=JAN, closed_at=JAN + timedelta(days=28), exit_price=Decimal("160")
        ),
    }
    assert list(selectors.positions_for(user, status=status)) == [positions[status]]


def test_positions_for_lists_newest_first():
    user = UserFactory.create()
    older = PositionFactory.create(owner=user, opened_at=JAN)
    newer = PositionFactory.create(owner=user, opened_at=datetime(2026, 3, 5, 15, tzinfo=UTC))
    assert list(selectors.positions_for(user)) == [newer, older]


def test_positions_for_rejects_a_malformed_ticker_filter():
    with pytest.raises(InvalidSymbol):
        selectors.positions_for(UserFactory.create(), ticker="not a symbol")


def test_watched_symbols_is_the_union_of_all_watchlists_once_each():
    for symbol in ("MSFT", "AAPL", "MSFT"):
        WatchlistItemFactory.create(ticker__symbol=symbol)
    TickerFactory.create(symbol="NVDA")  # known but on no watchlist
    assert selectors.watched_symbols() == ["AAPL", "MSFT"]


def test_open_option_contracts_lists_each_open_contract_once_with_its_underlying():
    PositionFactory.create(option=True, ticker__symbol="AAPL")
    PositionFactory.create(option=True, ticker__symbol="AAPL")
    PositionFactory.create(option=True, ticker__symbol="BRK.B")
    PositionFactory.create(
        option=True, ticker__symbol="MSFT", opened_at=JAN, closed_at=JAN + timedelta(days=1), exit_price=1
    )
    PositionFactory.create(ticker__symbol="NVDA")
    assert selectors.open_option_contracts() == [
        ("AAPL", "O:AAPL261218P00150000"),
        ("BRK.B", "O:BRKB261218P00150000"),
    ]


def test_shares_held_nets_the_users_open_stock_positions_in_that_symbol():
    user = UserFactory.create()
    PositionFactory.create(owner=user, ticker__symbol="AAPL", quantity=300)
    PositionFactory.create(owner=user, ticker__symbol="AAPL", quantity=-50)
    PositionFactory.create(owner=user, ticker__symbol="AAPL", option=True)
    PositionFactory.create(
        owner=user, ticker__symbol="AAPL", quantity=1000, opened_at=JAN, closed_at=JAN, exit_price=1
    )
    PositionFactory.create(owner=user, ticker__symbol="MSFT", quantity=100)
    PositionFactory.create(ticker__symbol="AAPL", quantity=100)  # someone else's
    assert selectors.shares_held(user, "aapl") == 250


def test_shares_held_is_zero_for_anonymous_users():
    assert selectors.shares_held(AnonymousUser(), "AAPL") == 0
