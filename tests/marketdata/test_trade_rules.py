"""Trade-management rules: each signal fires on its trade and stays quiet on the near miss."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from marketdata.trade_payoff import FigureLeg
from marketdata.trade_rules import (
    SIGNAL_CODES,
    TRADE_RULES,
    TradeRuleThresholds,
    TradeSignal,
    trade_signals,
)

TODAY = date(2026, 11, 24)
SPOT = 160.0  # out of the money for the 150 puts and 170 calls below


def expires(dte: int) -> date:
    return TODAY + timedelta(days=dte)


def put(quantity: int, strike: float = 150.0, *, dte: int = 30, entry: float = 2.00, **fields) -> FigureLeg:
    return FigureLeg("put", quantity, 100, entry, strike=strike, expiration=expires(dte), **fields)


def call(quantity: int, strike: float = 170.0, *, dte: int = 30, entry: float = 2.00, **fields) -> FigureLeg:
    return FigureLeg("call", quantity, 100, entry, strike=strike, expiration=expires(dte), **fields)


def signals(
    *legs: FigureLeg,
    spot: float | None = SPOT,
    pct: float | None = None,
    earnings: tuple[date, ...] = (),
    dividends: tuple[tuple[date, float], ...] = (),
    thresholds: TradeRuleThresholds = TRADE_RULES,
) -> list[TradeSignal]:
    return trade_signals(
        legs,
        spot=spot,
        pct_of_max_profit=pct,
        earnings=earnings,
        dividends=dividends,
        today=TODAY,
        thresholds=thresholds,
    )


def codes(result: list[TradeSignal]) -> list[str]:
    return [signal.code for signal in result]


def message(result: list[TradeSignal], code: str) -> str:
    (found,) = [signal.message for signal in result if signal.code == code]
    return found


def test_the_defaults_are_the_house_rules() -> None:
    house = TradeRuleThresholds(
        take_profit_pct=50.0, dte_exit_days=21, put_min_extrinsic=0.05, expiring_itm_days=1
    )

    assert house == TRADE_RULES


# --- take_profit ------------------------------------------------------------------------------


def test_a_credit_trade_at_half_its_max_profit_takes_profit() -> None:
    result = signals(put(-1), pct=50.0)

    assert codes(result) == ["take_profit"]
    assert message(result, "take_profit") == "Trade is at 50 % of its max profit (take profit at 50 %)."


def test_a_credit_trade_just_short_of_half_its_max_profit_holds() -> None:
    assert signals(put(-1), pct=49.9) == []


def test_a_credit_spread_past_its_target_takes_profit_with_the_percent_named() -> None:
    result = signals(put(-1, 150.0, entry=3.00), put(1, 140.0, entry=1.00), pct=62.5)

    assert "62.5 %" in message(result, "take_profit")


@pytest.mark.parametrize(
    "legs",
    [
        pytest.param((call(1),), id="long call"),
        pytest.param((put(-1, 150.0, entry=1.00), put(1, 140.0, entry=3.00)), id="debit spread"),
    ],
)
def test_a_debit_trade_never_takes_profit(legs: tuple[FigureLeg, ...]) -> None:
    assert signals(*legs, pct=90.0) == []


@pytest.mark.parametrize("pct", [None, math.nan, math.inf])
def test_no_usable_percent_takes_no_profit(pct: float | None) -> None:
    assert signals(put(-1), pct=pct) == []


# --- dte_exit ---------------------------------------------------------------------------------


def test_a_short_leg_at_21_dte_is_due_for_exit() -> None:
    result = signals(put(-1, dte=21))

    assert codes(result) == ["dte_exit"]
    assert message(result, "dte_exit") == "Short 150 put 2026-12-15 is 21 DTE (exit at 21)."


def test_a_short_leg_at_22_dte_is_not_yet_due() -> None:
    assert signals(put(-1, dte=22)) == []


def test_a_short_leg_expiring_today_is_due_for_exit() -> None:
    assert "0 DTE" in message(signals(put(-1, dte=0)), "dte_exit")


def test_a_long_leg_near_expiry_is_no_exit_signal() -> None:
    assert signals(call(1, dte=5)) == []


def test_the_exit_message_names_the_nearest_short_leg() -> None:
    result = signals(call(-1, dte=30), put(-1, dte=14))

    assert message(result, "dte_exit") == "Short 150 put 2026-12-08 is 14 DTE (exit at 21)."


# --- tested -----------------------------------------------------------------------------------


def test_a_short_put_with_spot_a_cent_below_its_strike_is_tested() -> None:
    result = signals(put(-1), spot=149.99)

    assert codes(result) == ["tested"]
    assert (
        message(result, "tested")
        == "Short 150 put 2026-12-24 is tested: spot $149.99 is below the 150 strike."
    )


def test_a_short_put_with_spot_at_its_strike_is_not_tested() -> None:
    assert signals(put(-1), spot=150.0) == []


def test_a_short_call_with_spot_a_cent_above_its_strike_is_tested() -> None:
    result = signals(call(-1), spot=170.01)

    assert "$170.01 is above the 170 strike" in message(result, "tested")


def test_a_short_call_with_spot_at_its_strike_is_not_tested() -> None:
    assert signals(call(-1), spot=170.0) == []


def test_a_long_leg_in_the_money_is_not_tested() -> None:
    assert signals(put(1), spot=140.0) == []


def test_the_tested_message_names_the_deepest_short_leg() -> None:
    result = signals(put(-1, 150.0), put(-1, 155.0, dte=60), spot=149.0)

    assert message(result, "tested").startswith("Short 155 put")


# --- earnings_before_expiry -------------------------------------------------------------------


def test_earnings_on_the_short_legs_expiration_day_are_flagged() -> None:
    result = signals(put(-1), earnings=(expires(30),))

    assert codes(result) == ["earnings_before_expiry"]
    assert message(result, "earnings_before_expiry") == (
        "Short 150 put 2026-12-24 is open through earnings on 2026-12-24."
    )


def test_earnings_the_day_after_the_short_legs_expiration_are_not() -> None:
    assert signals(put(-1), earnings=(expires(31),)) == []


def test_earnings_today_are_flagged_and_past_earnings_are_not() -> None:
    assert codes(signals(put(-1), earnings=(TODAY,))) == ["earnings_before_expiry"]
    assert signals(put(-1), earnings=(TODAY - timedelta(days=1),)) == []


def test_earnings_before_a_long_legs_expiration_are_not_flagged() -> None:
    assert signals(call(1), earnings=(expires(10),)) == []


def test_the_earnings_message_names_the_first_report_and_the_nearest_leg_it_catches() -> None:
    result = signals(put(-1, dte=10), call(-1, dte=45), earnings=(expires(40), expires(20)))

    assert message(result, "earnings_before_expiry") == (
        "Short 170 call 2027-01-08 is open through earnings on 2026-12-14."
    )


# --- early_assignment_risk --------------------------------------------------------------------

ITM_CALL_SPOT = 175.0  # the 170 call is $5.00 in the money


def test_a_short_call_with_less_extrinsic_than_the_coming_dividend_risks_assignment() -> None:
    dividend = (TODAY + timedelta(days=1), 0.25)
    result = signals(call(-1, mark=5.03), spot=ITM_CALL_SPOT, dividends=(dividend,))

    assert "early_assignment_risk" in codes(result)
    assert message(result, "early_assignment_risk") == (
        "Short 170 call 2026-12-24 is in the money with $0.03 extrinsic, "
        "below the $0.25 dividend going ex on 2026-11-25: early assignment risk."
    )


def test_a_short_call_with_more_extrinsic_than_the_dividend_does_not() -> None:
    dividend = (TODAY + timedelta(days=1), 0.25)
    result = signals(call(-1, mark=5.30), spot=ITM_CALL_SPOT, dividends=(dividend,))

    assert "early_assignment_risk" not in codes(result)


def test_a_dividend_going_ex_today_has_passed_its_exercise_day() -> None:
    result = signals(call(-1, mark=5.03), spot=ITM_CALL_SPOT, dividends=((TODAY, 0.25),))

    assert "early_assignment_risk" not in codes(result)


def test_a_dividend_going_ex_on_the_expiration_day_still_counts_and_the_day_after_does_not() -> None:
    on_expiry = signals(call(-1, mark=5.03), spot=ITM_CALL_SPOT, dividends=((expires(30), 0.25),))
    after_expiry = signals(call(-1, mark=5.03), spot=ITM_CALL_SPOT, dividends=((expires(31), 0.25),))

    assert "early_assignment_risk" in codes(on_expiry)
    assert "early_assignment_risk" not in codes(after_expiry)


def test_a_short_call_out_of_the_money_risks_no_assignment_for_a_dividend() -> None:
    assert signals(call(-1, mark=0.02), dividends=((expires(1), 0.25),)) == []


def test_a_short_put_in_the_money_with_4_cents_of_extrinsic_risks_assignment() -> None:
    result = signals(put(-1, mark=5.04), spot=145.0)

    assert message(result, "early_assignment_risk") == (
        "Short 150 put 2026-12-24 is in the money with $0.04 extrinsic, "
        "under the $0.05 floor for puts: early assignment risk."
    )


def test_a_short_put_in_the_money_with_5_cents_of_extrinsic_does_not() -> None:
    assert "early_assignment_risk" not in codes(signals(put(-1, mark=5.05), spot=145.0))


def test_a_short_leg_without_a_mark_never_risks_assignment() -> None:
    result = signals(put(-1), call(-1, 150.0), spot=145.0, dividends=((expires(1), 9.99),))

    assert "early_assignment_risk" not in codes(result)


# --- expiring_itm -----------------------------------------------------------------------------


def test_a_long_call_in_the_money_at_1_dte_is_expiring_in_the_money() -> None:
    result = signals(call(1, 150.0, dte=1), spot=152.0)

    assert codes(result) == ["expiring_itm"]
    assert message(result, "expiring_itm") == (
        "Long 150 call 2026-11-25 is $2.00 in the money and expires in 1 day (flag at 1 DTE)."
    )


def test_a_long_call_in_the_money_at_2_dte_is_not_flagged_yet() -> None:
    assert signals(call(1, 150.0, dte=2), spot=152.0) == []


def test_a_short_put_in_the_money_expiring_today_is_flagged() -> None:
    result = signals(put(-1, dte=0), spot=149.5)

    assert "$0.50 in the money and expires today" in message(result, "expiring_itm")


def test_an_option_out_of_the_money_at_expiry_is_not_flagged() -> None:
    assert signals(call(1, dte=1)) == []


# --- Which legs count, what is missing, and the order -----------------------------------------


def test_closed_legs_are_ignored_by_every_rule() -> None:
    closed = put(-1, dte=1, mark=5.00, exit_price=5.00)

    assert signals(closed, spot=145.0, pct=80.0, earnings=(TODAY,)) == []


def test_expired_legs_are_ignored_by_every_rule() -> None:
    expired = put(-1, dte=-1, mark=5.00)

    assert signals(expired, spot=145.0, pct=80.0, earnings=(TODAY,)) == []


def test_shares_fire_nothing() -> None:
    shares = FigureLeg("stock", 100, 1, 150.0)

    assert signals(shares, spot=100.0, pct=80.0, earnings=(TODAY,)) == []


@pytest.mark.parametrize("spot", [None, math.nan, math.inf, 0.0, -1.0])
def test_without_a_usable_spot_only_the_rules_that_need_none_fire(spot: float | None) -> None:
    deep_put = put(-1, dte=1, mark=5.00)

    result = signals(deep_put, spot=spot, pct=80.0, earnings=(TODAY,))

    assert codes(result) == ["take_profit", "dte_exit", "earnings_before_expiry"]


def test_signals_follow_the_code_order_once_each_however_many_legs_qualify() -> None:
    # Two short puts 1 DTE, deep in the money with 2 cents of extrinsic: every rule fires on both.
    legs = (put(-1, 150.0, dte=1, mark=5.02), put(-1, 152.0, dte=1, mark=7.02))

    result = signals(*legs, spot=145.0, pct=60.0, earnings=(expires(1),))

    assert codes(result) == list(SIGNAL_CODES)
    assert SIGNAL_CODES == (
        "take_profit",
        "dte_exit",
        "tested",
        "earnings_before_expiry",
        "early_assignment_risk",
        "expiring_itm",
    )


@pytest.mark.parametrize(
    ("leg", "spot", "pct", "override", "code"),
    [
        pytest.param(put(-1), SPOT, 60.0, {"take_profit_pct": 75.0}, "take_profit", id="take_profit"),
        pytest.param(put(-1, dte=30), SPOT, None, {"dte_exit_days": 30}, "dte_exit", id="dte_exit"),
        pytest.param(
            put(-1, mark=5.08),
            145.0,
            None,
            {"put_min_extrinsic": 0.10},
            "early_assignment_risk",
            id="put_min_extrinsic",
        ),
        pytest.param(call(1, 150.0, dte=3), 152.0, None, {"expiring_itm_days": 3}, "expiring_itm", id="itm"),
    ],
)
def test_custom_thresholds_change_the_outcome(
    leg: FigureLeg, spot: float, pct: float | None, override: dict, code: str
) -> None:
    by_default = codes(signals(leg, spot=spot, pct=pct))
    custom = codes(signals(leg, spot=spot, pct=pct, thresholds=replace(TRADE_RULES, **override)))

    assert (code in by_default) != (code in custom)
