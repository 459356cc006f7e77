"""P&L exact to the cent: stock, long and short options, expired and closed positions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from watchlist.valuation import value_position

TODAY = date(2026, 11, 24)


def test_long_stock_pnl_and_delta() -> None:
    v = value_position(
        instrument="stock",
        quantity=Decimal(100),
        multiplier=1,
        entry_price=Decimal("150.10"),
        today=TODAY,
        live_price=155.255,
        live_source="close",
    )
    assert v.market_value == Decimal("15525.50")
    assert v.unrealised_pnl == Decimal("515.50")
    assert v.unrealised_pnl_pct == Decimal("3.43")
    assert v.position_delta == Decimal("100.00")
    assert v.price_source == "close"


def test_long_call_uses_the_multiplier() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(2),
        multiplier=100,
        entry_price=Decimal("3.40"),
        today=TODAY,
        contract_type="call",
        strike=Decimal(200),
        expiration=date(2026, 12, 18),
        live_price=4.125,
        live_source="mid",
        live_delta=0.55,
    )
    assert (v.market_value, v.unrealised_pnl, v.unrealised_pnl_pct) == (
        Decimal("825.00"),
        Decimal("145.00"),
        Decimal("21.32"),
    )
    assert v.position_delta == Decimal("110.00")
    assert v.dte == 24


def test_short_put_gains_when_the_price_falls() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(-1),
        multiplier=100,
        entry_price=Decimal("2.50"),
        today=TODAY,
        contract_type="put",
        strike=Decimal(180),
        expiration=date(2026, 12, 18),
        live_price=1.0,
        live_source="bid",
        live_delta=-0.2,
    )
    assert v.unrealised_pnl == Decimal("150.00")
    assert v.unrealised_pnl_pct == Decimal("60.00")
    assert v.market_value == Decimal("-100.00")
    assert v.position_delta == Decimal("20.00")


def test_expired_option_is_worth_its_intrinsic_value_at_the_expiration_close() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(-1),
        multiplier=100,
        entry_price=Decimal("2.00"),
        today=TODAY,
        contract_type="put",
        strike=Decimal(100),
        expiration=date(2026, 11, 20),
        underlying_close_at_expiration=97.5,
    )
    assert (v.price_source, v.current_price) == ("expired", Decimal("2.5"))
    assert v.unrealised_pnl == Decimal("-50.00")


def test_expired_out_of_the_money_option_is_worth_nothing() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(1),
        multiplier=100,
        entry_price=Decimal("1.00"),
        today=TODAY,
        contract_type="call",
        strike=Decimal(120),
        expiration=date(2026, 11, 20),
        underlying_close_at_expiration=110.0,
    )
    assert (v.market_value, v.unrealised_pnl) == (Decimal("0.00"), Decimal("-100.00"))


def test_no_live_price_falls_back_to_entry() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(1),
        multiplier=100,
        entry_price=Decimal("1.00"),
        today=TODAY,
        contract_type="call",
        strike=Decimal(120),
        expiration=date(2026, 12, 18),
        live_price=None,
    )
    assert (v.price_source, v.unrealised_pnl) == ("entry", Decimal("0.00"))


def test_closed_position_reports_realised_pnl_only() -> None:
    v = value_position(
        instrument="option",
        quantity=Decimal(-2),
        multiplier=100,
        entry_price=Decimal("3.10"),
        exit_price=Decimal("0.45"),
        today=TODAY,
    )
    assert v.realised_pnl == Decimal("530.00")
    assert v.unrealised_pnl is None and v.market_value is None


def test_half_cent_rounds_up() -> None:
    v = value_position(
        instrument="stock",
        quantity=Decimal(1),
        multiplier=1,
        entry_price=Decimal("10.000"),
        today=TODAY,
        live_price=10.005,
        live_source="close",
    )
    assert v.unrealised_pnl == Decimal("0.01")


def test_a_loss_under_half_a_cent_is_zero_not_minus_zero() -> None:
    v = value_position(
        instrument="stock",
        quantity=Decimal(1),
        multiplier=1,
        entry_price=Decimal("100.004"),
        today=TODAY,
        live_price=100.0,
        live_source="close",
    )
    assert v.unrealised_pnl == 0 and not v.unrealised_pnl.is_signed()
    assert str(v.unrealised_pnl) == "0.00" and str(v.unrealised_pnl_pct) == "0.00"
