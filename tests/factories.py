"""factory_boy factories for users, tickers, watchlist items and positions.

Call `XFactory.create(...)` (typed: returns the model) rather than `XFactory(...)`.
Factories write rows directly (no full_clean), so tests can also build rows the services
would refuse and check that the database constraints reject them.
"""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from marketdata import clock, occ
from marketdata.symbols import option_root
from watchlist.models import (
    LEG_TO_TRADE_STRATEGY,
    Instrument,
    Position,
    Strategy,
    Ticker,
    Trade,
    TradeStrategy,
    WatchlistItem,
)

PASSWORD = "correct-horse-battery-staple"
EXPIRATION = date(2026, 12, 18)


def _letters(n: int) -> str:
    """Return a distinct upper-case symbol for each n: A, B, ..., Z, BA, BB, ..."""
    digits = []
    while True:
        n, remainder = divmod(n, 26)
        digits.append(string.ascii_uppercase[remainder])
        if n == 0:
            return "".join(reversed(digits))


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TickerFactory(factory.django.DjangoModelFactory[Ticker]):
    class Meta:
        model = Ticker
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"Q{_letters(n)}")
    name = factory.LazyAttribute(lambda ticker: f"{ticker.symbol} Inc.")


class WatchlistItemFactory(factory.django.DjangoModelFactory[WatchlistItem]):
    class Meta:
        model = WatchlistItem

    owner = factory.SubFactory(UserFactory)
    ticker = factory.SubFactory(TickerFactory)


class TradeFactory(factory.django.DjangoModelFactory[Trade]):
    """An open trade; its legs are PositionFactory's (`PositionFactory(trade=trade, …)`)."""

    class Meta:
        model = Trade

    owner = factory.SubFactory(UserFactory)
    ticker = factory.SubFactory(TickerFactory)
    strategy = TradeStrategy.STOCK
    notes = ""


class PositionFactory(factory.django.DjangoModelFactory[Position]):
    """An open long stock position; `PositionFactory.create(option=True)` makes a cash-secured put."""

    class Meta:
        model = Position

    class Params:
        option = factory.Trait(
            instrument=Instrument.OPTION,
            strategy=Strategy.CSP,
            quantity=-1,
            multiplier=100,
            entry_price=Decimal("2.5000"),
            option_ticker=factory.LazyAttribute(
                lambda position: occ.build(option_root(position.ticker.symbol), EXPIRATION, "put", 150.0)
            ),
        )

    owner = factory.SubFactory(UserFactory)
    ticker = factory.SubFactory(TickerFactory)
    instrument = Instrument.STOCK
    option_ticker = None
    quantity = 100
    multiplier = 1
    entry_price = Decimal("150.0000")
    strategy = Strategy.STOCK
    notes = ""
    opened_at = factory.LazyFunction(clock.now)
    closed_at = None
    # A one-leg trade of the leg's strategy, as `position_open` makes one.
    trade = factory.LazyAttribute(
        lambda position: TradeFactory(
            owner=position.owner,
            ticker=position.ticker,
            strategy=LEG_TO_TRADE_STRATEGY.get(position.strategy, TradeStrategy.OTHER),
            opened_at=position.opened_at,
            closed_at=position.closed_at,
        )
    )
