"""One spot per symbol: every endpoint says the same price for a symbol at one moment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from devtools.sandbox import data as sandbox_data
from marketdata import clock
from tests.factories import PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
BEFORE_OPEN = datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK)
IN_SESSION = datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(("moment", "source"), [(BEFORE_OPEN, "close"), (IN_SESSION, "intraday")])
def test_every_endpoint_gives_the_same_spot(sandbox, moment: datetime, source: str) -> None:
    user = UserFactory.create()
    ticker = TickerFactory.create(symbol="AAPL")
    WatchlistItemFactory.create(owner=user, ticker=ticker)
    PositionFactory.create(
        owner=user,
        ticker=ticker,
        instrument="stock",
        option_ticker=None,
        quantity=10,
        multiplier=1,
        entry_price=Decimal("200"),
        strategy="stock",
    )
    api = APIClient()
    api.force_authenticate(user)
    sandbox.control.pin_now(moment)
    expected = sandbox_data.spot_at("AAPL", moment.date(), moment)

    with clock.pinned(moment):
        stock = api.get("/api/v1/stocks/AAPL/").json()
        options = api.get("/api/v1/stocks/AAPL/options/?max_dte=30").json()
        signals = api.get("/api/v1/stocks/AAPL/signals/").json()
        dashboard = api.get("/api/v1/dashboard/").json()
        (position,) = api.get("/api/v1/positions/").json()["results"]

    assert stock["price"] == options["spot"] == signals["spot"] == expected
    assert dashboard["watchlist"][0]["price"] == expected
    assert Decimal(str(position["current_price"])) == Decimal(str(expected))
    row = dashboard["watchlist"][0]
    assert (
        stock["spot_source"]
        == options["spot_source"]
        == signals["spot_source"]
        == row["spot_source"]
        == source
    )
    assert row["spot_as_of"] == stock["spot_as_of"]
    # The chain was fetched at the same moment: its analyses were made at that spot too.
    assert options["chain_spot"] == signals["chain_spot"] == expected


def test_before_the_open_the_spot_is_the_last_close_not_todays(sandbox) -> None:
    sandbox.control.pin_now(BEFORE_OPEN)
    monday_close = sandbox_data.daily_bars("AAPL", BEFORE_OPEN.date())[-2]["c"]
    api = APIClient()
    api.force_authenticate(UserFactory.create())

    with clock.pinned(BEFORE_OPEN):
        options = api.get("/api/v1/stocks/AAPL/options/?max_dte=30").json()

    assert options["spot"] == options["chain_spot"] == monday_close
