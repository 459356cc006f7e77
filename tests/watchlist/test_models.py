"""Model rules: full_clean() reports each broken rule under its field; the database backs them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Model

from tests.factories import PositionFactory, TickerFactory, TradeFactory, UserFactory, WatchlistItemFactory
from watchlist.models import IMMUTABLE_MESSAGE, Instrument, Position, Strategy, Ticker

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _stock(**overrides):
    """An unsaved, valid stock position (AAPL, 100 shares), a leg of a saved trade."""
    owner, ticker = UserFactory.create(), TickerFactory.create(symbol="AAPL")
    fields = {
        "owner": owner,
        "ticker": ticker,
        "trade": TradeFactory.create(owner=owner, ticker=ticker, opened_at=OPENED),
        "instrument": Instrument.STOCK,
        "quantity": 100,
        "entry_price": Decimal("150"),
        "opened_at": OPENED,
        "strategy": Strategy.STOCK,
    }
    return Position(**(fields | overrides))


def _option(**overrides):
    """An unsaved, valid short AAPL put."""
    fields = {
        "instrument": Instrument.OPTION,
        "option_ticker": "O:AAPL261218P00150000",
        "quantity": -1,
        "entry_price": Decimal("2.5"),
        "strategy": Strategy.CSP,
    }
    return _stock(**(fields | overrides))


def _errors(instance: Model) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


# --- Ticker ------------------------------------------------------------------------------------


def test_ticker_symbol_is_normalised_to_upper_case_with_a_dot():
    ticker = Ticker(symbol="brk-b")
    ticker.full_clean()
    assert ticker.symbol == "BRK.B"


@pytest.mark.parametrize("symbol", ["AAPL1", "TOOLONG", "BRK.BBB", "", "A B"])
def test_ticker_with_an_invalid_symbol_is_rejected_on_the_symbol_field(symbol):
    assert "symbol" in _errors(Ticker(symbol=symbol))


def test_database_rejects_a_lower_case_symbol_even_without_clean():
    with pytest.raises(IntegrityError):
        Ticker.objects.create(symbol="aapl")


def test_ticker_str_is_its_symbol():
    assert str(TickerFactory.create(symbol="BRK.B")) == "BRK.B"


# --- WatchlistItem -----------------------------------------------------------------------------


def test_database_rejects_the_same_ticker_twice_on_one_watchlist():
    item = WatchlistItemFactory.create()
    with pytest.raises(IntegrityError):
        WatchlistItemFactory.create(owner=item.owner, ticker=item.ticker)


def test_watchlist_item_str_names_ticker_and_owner():
    item = WatchlistItemFactory.create(owner__username="alice", ticker=TickerFactory.create(symbol="MSFT"))
    assert str(item) == "MSFT on alice's watchlist"


# --- Position: valid rows ------------------------------------------------------------------------


def test_valid_stock_position_passes_and_gets_multiplier_one():
    position = _stock()
    position.full_clean()
    assert position.multiplier == 1


def test_option_position_multiplier_defaults_to_one_hundred():
    position = _option()
    position.full_clean()
    assert position.multiplier == 100


def test_option_position_keeps_an_adjusted_multiplier():
    gme = TickerFactory.create(symbol="GME")
    position = _option(ticker=gme, option_ticker="O:GME1270115P00003000", multiplier=150)
    position.full_clean()
    assert position.multiplier == 150


def test_option_ticker_is_stored_upper_case_without_spaces():
    position = _option(option_ticker=" o:aapl261218p00150000 ")
    position.full_clean()
    assert position.option_ticker == "O:AAPL261218P00150000"


def test_class_share_option_root_drops_the_dot():
    position = _option(ticker=TickerFactory.create(symbol="BRK.B"), option_ticker="O:BRKB261218P00450000")
    position.full_clean()
    assert position.option_ticker == "O:BRKB261218P00450000"


def test_contract_fields_are_derived_from_the_option_ticker():
    position = _option(option_ticker="O:AAPL261218P00152500")
    contract = (position.contract_type, position.strike, position.expiration)
    assert contract == ("put", 152.5, date(2026, 12, 18))


def test_stock_position_has_no_contract_fields():
    position = _stock()
    assert (position.contract_type, position.strike, position.expiration) == (None, None, None)


def test_status_is_closed_once_closed_at_is_set():
    assert (_stock().status, _stock(closed_at=OPENED).status) == ("open", "closed")


def test_position_str_reads_like_a_trade():
    assert str(_option()) == "Short 1 × AAPL 2026-12-18 150 put (csp, open)"


# --- Position: rules, each reported under its field -------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"entry_price": Decimal("0")}, "entry_price"),
        ({"entry_price": Decimal("-1")}, "entry_price"),
        ({"closed_at": OPENED + timedelta(days=1), "exit_price": Decimal("-0.01")}, "exit_price"),
        ({"fees": Decimal("-0.65")}, "fees"),
        ({"exit_price": Decimal("160")}, "closed_at"),
        ({"closed_at": OPENED + timedelta(days=1)}, "exit_price"),
        ({"closed_at": OPENED - timedelta(seconds=1), "exit_price": Decimal("160")}, "closed_at"),
        ({"option_ticker": "O:AAPL261218P00150000"}, "option_ticker"),
        ({"multiplier": 100}, "multiplier"),
        ({"strategy": Strategy.CSP}, "strategy"),
        ({"strategy": "wheel"}, "strategy"),
        ({"instrument": "future"}, "instrument"),
    ],
)
def test_invalid_stock_position_is_rejected_on_the_offending_field(overrides, field):
    assert field in _errors(_stock(**overrides))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"option_ticker": None}, "option_ticker"),
        ({"option_ticker": "AAPL 150 put"}, "option_ticker"),
        ({"option_ticker": "O:MSFT261218P00150000"}, "option_ticker"),
        ({"option_ticker": "O:AAPL12261218P00150000"}, "option_ticker"),
        ({"strategy": Strategy.STOCK}, "strategy"),
        ({"multiplier": 0}, "multiplier"),
    ],
)
def test_invalid_option_position_is_rejected_on_the_offending_field(overrides, field):
    assert field in _errors(_option(**overrides))


def test_root_of_another_symbol_error_names_the_expected_root():
    errors = _errors(_option(option_ticker="O:MSFT261218P00150000"))
    assert "expected AAPL" in errors["option_ticker"][0]


def test_closed_position_with_exit_passes():
    position = _stock(closed_at=OPENED + timedelta(days=3), exit_price=Decimal("171.25"))
    position.full_clean()
    assert position.status == "closed"


def test_a_leg_that_expired_worthless_closes_at_zero_and_fees_are_kept():
    position = _option(closed_at=OPENED + timedelta(days=30), exit_price=Decimal("0"), fees=Decimal("1.30"))
    position.full_clean()
    assert (position.status, position.exit_price, position.fees) == ("closed", 0, Decimal("1.30"))


def _saved_option() -> Position:
    position = PositionFactory.create(option=True, ticker__symbol="AAPL")
    return Position.objects.get(pk=position.pk)


def test_instrument_cannot_change_after_creation():
    position = _saved_option()
    position.instrument = Instrument.STOCK
    assert "instrument" in _errors(position)


def test_option_ticker_cannot_change_after_creation():
    position = _saved_option()
    position.option_ticker = "O:AAPL261218P00160000"
    assert _errors(position) == {"option_ticker": [IMMUTABLE_MESSAGE]}


def test_ticker_cannot_change_after_creation():
    position = PositionFactory.create()
    position.ticker = TickerFactory.create(symbol="MSFT")
    assert "ticker" in _errors(position)


def test_editable_fields_of_a_saved_position_can_change():
    position = PositionFactory.create()
    position.notes = "trim at 200"
    position.quantity = 50
    position.full_clean()


# --- Position: the database backs the rules even when clean() is bypassed ------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity": 0},
        {"entry_price": Decimal("0")},
        {"closed_at": OPENED + timedelta(days=1), "exit_price": Decimal("-1")},
        {"fees": Decimal("-1")},
        {"exit_price": Decimal("160")},
        {"closed_at": OPENED + timedelta(days=1)},
        {"closed_at": OPENED - timedelta(days=1), "exit_price": Decimal("160")},
        {"option_ticker": "O:AAPL261218P00150000"},
        {"multiplier": 100},
        {"multiplier": 0},
        {"strategy": Strategy.CSP},
        {"strategy": "wheel"},
        {"instrument": "future"},
        {"instrument": Instrument.OPTION, "strategy": Strategy.CSP},
        {"instrument": Instrument.OPTION, "strategy": Strategy.CSP, "option_ticker": ""},
    ],
    ids=lambda overrides: ",".join(f"{k}={v}" for k, v in overrides.items()),
)
def test_database_rejects_an_invalid_position_written_without_clean(overrides):
    with pytest.raises(IntegrityError):
        PositionFactory.create(**({"opened_at": OPENED} | overrides))
