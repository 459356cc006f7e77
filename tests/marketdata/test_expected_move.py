"""The expected move to the nearest standard monthly expiration, by ATM IV and by straddle (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from marketdata import market_hours
from marketdata.domain import OptionSnapshot
from marketdata.expected_move import expected_move, expected_move_on, nearest_monthly
from marketdata.option_analytics import analyze_contract

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 11, 24)
WEEKLY = date(2026, 12, 4)  # a Friday, not the third
MONTHLY = date(2026, 12, 18)  # December's third Friday: 24 days
NEXT_MONTHLY = date(2027, 1, 15)
SPOT = 281.3


@dataclass(frozen=True)
class Contract:
    contract_type: str
    strike: float
    expiration: date
    iv: float | None
    mid: float | None
    multiplier: int = 100

    @property
    def dte(self) -> int:
        return (self.expiration - TODAY).days


def _straddle(strike: float, expiration: date, *, call: tuple, put: tuple) -> list[Contract]:
    return [Contract("call", strike, expiration, *call), Contract("put", strike, expiration, *put)]


def _chain() -> list[Contract]:
    return [
        *_straddle(280.0, WEEKLY, call=(0.50, 9.0), put=(0.50, 8.0)),  # nearer, but a weekly
        *_straddle(275.0, MONTHLY, call=(0.31, 10.40), put=(0.33, 4.10)),
        *_straddle(280.0, MONTHLY, call=(0.30, 7.25), put=(0.32, 6.05)),
        *_straddle(285.0, MONTHLY, call=(0.29, 4.80), put=(0.31, 8.70)),
        Contract("call", 281.0, MONTHLY, 0.30, 6.80),  # nearest spot, but no put at 281
        *_straddle(280.0, NEXT_MONTHLY, call=(0.28, 11.0), put=(0.30, 10.0)),
    ]


def test_the_move_by_iv_and_by_straddle_are_the_formulas_at_the_atm_strike() -> None:
    move = expected_move(_chain(), spot=SPOT)

    assert move == {
        "expiration": "2026-12-18",
        "dte": 24,
        "by_iv": pytest.approx(SPOT * (0.30 + 0.32) / 2 * math.sqrt(24 / 365), rel=1e-12),
        "by_straddle": pytest.approx(7.25 + 6.05, rel=1e-12),
    }


def test_analysed_contracts_give_the_same_formulas() -> None:
    snapshots = [
        OptionSnapshot(
            "O:X261218C00280000", "X", "call", 280.0, MONTHLY, bid=7.2, ask=7.3, implied_volatility=0.3
        ),
        OptionSnapshot(
            "O:X261218P00280000", "X", "put", 280.0, MONTHLY, bid=6.0, ask=6.1, implied_volatility=0.32
        ),
    ]
    analysed = [analyze_contract(s, spot=SPOT, today=TODAY, rate=0.04) for s in snapshots]

    move = expected_move(analysed, spot=SPOT)

    assert move is not None
    assert move["by_iv"] == pytest.approx(SPOT * 0.31 * math.sqrt(24 / 365), rel=1e-12)
    assert move["by_straddle"] == pytest.approx(7.25 + 6.05, rel=1e-12)


def test_an_expiration_under_a_day_away_is_passed_over_for_the_next_monthly() -> None:
    today_expiring = [Contract("call", 280.0, TODAY, 0.3, 1.0)]  # DTE 0 (not a monthly either)
    november = date(2026, 11, 20)
    assert nearest_monthly([*today_expiring, *_chain()]) == (MONTHLY, 24)
    assert nearest_monthly([Contract("call", 280.0, november, 0.3, 1.0)]) is None  # past


def test_each_figure_needs_both_legs() -> None:
    chain = _straddle(280.0, MONTHLY, call=(None, 7.25), put=(0.32, None))
    move = expected_move(chain, spot=SPOT)
    assert move is not None and (move["by_iv"], move["by_straddle"]) == (None, None)


def test_no_monthly_no_straddle_or_no_spot_is_no_move() -> None:
    assert expected_move(_straddle(280.0, WEEKLY, call=(0.3, 1.0), put=(0.3, 1.0)), spot=SPOT) is None
    assert expected_move([Contract("call", 280.0, MONTHLY, 0.3, 7.0)], spot=SPOT) is None
    assert expected_move(_chain(), spot=None) is None


def test_adjusted_contracts_are_left_out() -> None:
    adjusted = [
        Contract("call", 281.0, MONTHLY, 0.9, 50.0, multiplier=150),
        Contract("put", 281.0, MONTHLY, 0.9, 50.0, multiplier=150),
    ]
    move = expected_move([*adjusted, *_chain()], spot=SPOT)
    assert move is not None and move["by_straddle"] == pytest.approx(7.25 + 6.05)


def test_a_stored_move_read_a_day_later_counts_its_dte_from_today() -> None:
    stored = {"expiration": "2026-12-18", "dte": 24, "by_iv": 12.0, "by_straddle": 13.3}

    later = expected_move_on(stored, today=date(2026, 11, 25))

    assert later == {
        "expiration": "2026-12-18",
        "dte": 23,
        "by_iv": pytest.approx(12.0 * math.sqrt(23 / 24)),
        "by_straddle": 13.3,
    }
    assert expected_move_on(stored, today=TODAY) == stored
    assert expected_move_on(stored, today=MONTHLY) is None  # expiring today
    assert expected_move_on(None, today=TODAY) is None


@pytest.mark.parametrize(
    ("year", "month", "expiration"),
    [
        (2026, 12, date(2026, 12, 18)),
        (2025, 4, date(2025, 4, 17)),  # Good Friday: the Thursday before
        (2026, 6, date(2026, 6, 18)),  # Juneteenth on the third Friday
        (2027, 1, date(2027, 1, 15)),
    ],
)
def test_the_standard_monthly_is_the_third_friday_unless_the_nyse_is_closed(year, month, expiration) -> None:
    assert market_hours.standard_monthly_expiration(year, month) == expiration


def test_completed_sessions_leave_out_the_one_still_running() -> None:
    in_session = datetime(2026, 11, 24, 11, 0, tzinfo=NY)
    after_close = datetime(2026, 11, 24, 16, 30, tzinfo=NY)
    assert market_hours.completed_sessions(in_session, 2) == [date(2026, 11, 20), date(2026, 11, 23)]
    assert market_hours.completed_sessions(after_close, 2) == [date(2026, 11, 23), date(2026, 11, 24)]
