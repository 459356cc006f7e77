"""Trade services: open under the strategy's leg rules, roll, assign, close, and the legs that expire."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from marketdata.models import SessionBar
from tests.factories import TickerFactory, UserFactory
from watchlist.models import Position, Trade
from watchlist.trades import LegInput, trade_assign, trade_close, trade_open, trade_roll, trades_expire

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
PUT_270 = "O:AAPL261218P00270000"
CALL_280 = "O:AAPL261218C00280000"
CALL_250_LONG = "O:AAPL271217C00250000"
CALL_300 = "O:AAPL261218C00300000"


@pytest.fixture
def user():
    TickerFactory.create(symbol="AAPL")
    return UserFactory.create()


def _option(ticker: str, quantity: int, price: str, **fields: object) -> LegInput:
    return LegInput(
        instrument="option", option_ticker=ticker, quantity=quantity, entry_price=Decimal(price), **fields
    )  # type: ignore[arg-type]


def _realised(trade: Trade) -> Decimal:
    return sum(
        (
            (leg.exit_price - leg.entry_price) * leg.quantity * leg.multiplier - leg.fees
            for leg in trade.legs.all()
        ),
        Decimal(0),
    )


def test_the_wheel_is_one_trade_from_the_short_put_to_the_shares_called_away(user) -> None:
    trade = trade_open(
        user=user, symbol="AAPL", strategy="csp", legs=[_option(PUT_270, -1, "4.10")], opened_at=OPENED
    )
    (put,) = trade.legs.all()

    trade_assign(trade=trade, leg_id=put.pk, at=OPENED + timedelta(days=40))
    trade.refresh_from_db()
    shares = trade.legs.get(instrument="stock")
    assert (trade.strategy, trade.status) == ("wheel", "open")  # the same trade, now a wheel
    assert (shares.quantity, shares.entry_price) == (100, Decimal("270"))
    assert Position.objects.get(pk=put.pk).exit_price == 0

    trade_roll(trade=trade, close={}, open=[_option(CALL_280, -1, "3.00")], at=OPENED + timedelta(days=41))
    call = trade.legs.get(option_ticker=CALL_280)
    trade_assign(trade=trade, leg_id=call.pk, at=OPENED + timedelta(days=45))

    trade.refresh_from_db()
    assert trade.status == "closed" and trade.legs.count() == 3  # put, shares, call: the whole history
    # put +4.10 × 100, call +3.00 × 100, shares (280 − 270) × 100
    assert _realised(trade) == Decimal("410") + Decimal("300") + Decimal("1000")


def test_a_pmcc_whose_long_strike_plus_net_debit_reaches_the_short_strike_is_refused(user) -> None:
    legs = [_option(CALL_250_LONG, 1, "60.00"), _option(CALL_300, -1, "5.00")]  # 250 + 55 ≥ 300

    with pytest.raises(ValidationError) as refused:
        trade_open(user=user, symbol="AAPL", strategy="pmcc", legs=legs, opened_at=OPENED)

    assert "long strike + net debit" in str(refused.value.message_dict["legs"])
    assert not Trade.objects.exists() and not Position.objects.exists()
    fitting = [_option(CALL_250_LONG, 1, "45.00"), _option(CALL_300, -1, "5.00")]  # 250 + 40 < 300
    assert (
        trade_open(user=user, symbol="AAPL", strategy="pmcc", legs=fitting, opened_at=OPENED).legs.count()
        == 2
    )


@pytest.mark.parametrize(
    ("strategy", "legs", "rule"),
    [
        ("csp", [("O:AAPL261218P00270000", 1, "4.10")], "one short put"),
        ("vertical", [(PUT_270, -1, "4.10"), (CALL_280, 1, "1.00")], "one type and one expiration"),
        ("covered_call", [(CALL_300, -1, "4.10")], "100 shares"),
        ("leaps", [(CALL_300, 1, "4.10")], "at least 270 days"),
    ],
)
def test_legs_that_break_their_strategys_rule_are_refused_and_nothing_is_written(
    user, strategy, legs, rule
) -> None:
    with pytest.raises(ValidationError) as refused:
        trade_open(
            user=user,
            symbol="AAPL",
            strategy=strategy,
            legs=[_option(*leg) for leg in legs],
            opened_at=OPENED,
        )

    assert rule in str(refused.value.message_dict["legs"])
    assert not Trade.objects.exists()


def test_a_roll_closes_and_opens_in_one_trade_that_keeps_both_legs(user) -> None:
    trade = trade_open(
        user=user, symbol="AAPL", strategy="csp", legs=[_option(PUT_270, -1, "4.10")], opened_at=OPENED
    )
    (old,) = trade.legs.all()

    trade_roll(
        trade=trade, close={old.pk: Decimal("1.05")}, open=[_option("O:AAPL270115P00260000", -1, "5.20")],
        at=OPENED + timedelta(days=20),
    )  # fmt: skip

    legs = {leg.option_ticker: leg for leg in trade.legs.all()}
    assert set(legs) == {PUT_270, "O:AAPL270115P00260000"}
    assert (legs[PUT_270].status, legs[PUT_270].exit_price) == ("closed", Decimal("1.05"))
    assert legs["O:AAPL270115P00260000"].status == "open" and Trade.objects.get().status == "open"


def test_a_roll_of_a_leg_of_another_trade_is_refused_and_changes_nothing(user) -> None:
    first = trade_open(
        user=user, symbol="AAPL", strategy="csp", legs=[_option(PUT_270, -1, "4.10")], opened_at=OPENED
    )
    other = trade_open(
        user=user, symbol="AAPL", strategy="csp", legs=[_option(PUT_270, -2, "4.00")], opened_at=OPENED
    )
    (foreign,) = other.legs.all()

    with pytest.raises(ValidationError):
        trade_roll(trade=first, close={foreign.pk: Decimal("1")}, open=[_option(CALL_300, -1, "1.00")])

    assert Position.objects.get(pk=foreign.pk).closed_at is None and first.legs.count() == 1


def test_close_needs_every_open_legs_exit_price_then_closes_the_trade(user) -> None:
    legs = [_option(PUT_270, -1, "4.10"), _option("O:AAPL261218P00260000", 1, "1.60")]
    trade = trade_open(user=user, symbol="AAPL", strategy="vertical", legs=legs, opened_at=OPENED)
    short, long = sorted(trade.legs.all(), key=lambda leg: leg.quantity)

    with pytest.raises(ValidationError, match="needs an exit price"):
        trade_close(trade=trade, exit_prices={short.pk: Decimal("0.50")})
    assert trade.legs.filter(closed_at__isnull=True).count() == 2

    trade_close(
        trade=trade,
        exit_prices={short.pk: Decimal("0.50"), long.pk: Decimal("0.10")},
        at=OPENED + timedelta(days=9),
    )
    assert Trade.objects.get().status == "closed"
    assert _realised(Trade.objects.get()) == Decimal("360") + Decimal(
        "-150"
    )  # (4.10 − 0.50) × 100, (0.10 − 1.60) × 100


def test_a_short_call_assigned_sells_the_trades_own_shares_first_and_keeps_the_rest(user) -> None:
    legs = [
        LegInput(instrument="stock", quantity=200, entry_price=Decimal("281.50")),
        _option(CALL_300, -1, "4.10"),
    ]
    trade = trade_open(user=user, symbol="AAPL", strategy="covered_call", legs=legs, opened_at=OPENED)
    call = trade.legs.get(instrument="option")

    trade_assign(trade=trade, leg_id=call.pk, at=OPENED + timedelta(days=46))

    shares = trade.legs.filter(instrument="stock")
    assert {(leg.quantity, leg.exit_price) for leg in shares} == {(100, None), (100, Decimal("300"))}
    assert Trade.objects.get().status == "open"  # 100 shares are still held


def test_expired_legs_close_at_zero_out_of_the_money_and_are_assigned_in_it(user) -> None:
    otm = trade_open(
        user=user, symbol="AAPL", strategy="csp", legs=[_option(PUT_270, -1, "4.10")], opened_at=OPENED
    )
    itm = trade_open(
        user=user,
        symbol="AAPL",
        strategy="csp",
        legs=[_option("O:AAPL261218P00290000", -1, "9.00")],
        opened_at=OPENED,
    )
    penny = trade_open(
        user=user,
        symbol="AAPL",
        strategy="csp",
        legs=[_option("O:AAPL261218P00289990", -1, "8.00")],
        opened_at=OPENED,
    )
    expiry = date(2026, 12, 18)

    trades_expire(today=expiry, closes={("AAPL", expiry): Decimal("289.99")})  # not yet past expiration
    assert Position.objects.filter(closed_at__isnull=False).count() == 0
    trades_expire(today=expiry + timedelta(days=3), closes={("AAPL", expiry): Decimal("289.98")})

    (otm_leg,) = otm.legs.all()
    assert (otm_leg.exit_price, Trade.objects.get(pk=otm.pk).status) == (0, "closed")
    itm_trade = Trade.objects.get(pk=itm.pk)
    assert itm_trade.strategy == "wheel" and itm_trade.legs.get(instrument="stock").entry_price == Decimal(
        "290"
    )
    # $0.01 in the money (289.99 strike, 289.98 close): exercised by exception too
    assert Trade.objects.get(pk=penny.pk).legs.filter(instrument="stock").exists()


def test_a_refresh_closes_the_legs_that_expired_by_the_stored_close_of_their_expiration_day(user) -> None:
    expiry = date(2026, 11, 20)  # a Friday before the suite's today
    SessionBar.objects.create(
        symbol="AAPL", session=expiry, open=251, high=253, low=249, close=251.5, volume=1e6
    )
    itm = trade_open(
        user=user,
        symbol="AAPL",
        strategy="csp",
        legs=[_option("O:AAPL261120P00260000", -1, "3.00")],
        opened_at=OPENED,
    )
    otm = trade_open(
        user=user,
        symbol="AAPL",
        strategy="csp",
        legs=[_option("O:AAPL261120P00240000", -1, "1.00")],
        opened_at=OPENED,
    )

    call_command("refresh_market_data", "--tickers", "AAPL", "--only", "earnings", stdout=io.StringIO())

    assigned = Trade.objects.get(pk=itm.pk)
    assert assigned.strategy == "wheel"
    assert assigned.legs.get(instrument="stock").entry_price == Decimal("260")  # bought at the strike
    (expired,) = Trade.objects.get(pk=otm.pk).legs.all()
    assert (expired.exit_price, expired.closed_at.date()) == (0, expiry)
