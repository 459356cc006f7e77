"""The chain board's pure parts: which expiration opens, rows per strike, the ATM row, recommendations."""

from __future__ import annotations

from typing import Any

from marketdata.chain_board import (
    board_rows,
    board_tabs,
    default_expiration,
    recommended_contracts,
)
from tests.marketdata.test_strategies import SPOT, TODAY, contract


def _tabs(*dtes: int) -> list[Any]:
    return board_tabs([contract("put", 95, dte, -0.3) for dte in dtes], today=TODAY)


def test_tabs_are_the_expirations_from_today_nearest_first_with_counts() -> None:
    chain = [contract("put", 95, 30, -0.3), contract("call", 105, 30, 0.3), contract("put", 95, 2, -0.2)]
    chain.append(contract("put", 95, -1, -0.2))  # expired: not a tab

    tabs = board_tabs(chain, today=TODAY)

    assert [(t["dte"], t["contracts"]) for t in tabs] == [(2, 1), (30, 2)]


def test_the_default_is_the_nearest_at_seven_days_or_more() -> None:
    assert default_expiration(_tabs(3, 6, 7, 14)) == _tabs(7)[0]["expiration"]
    assert default_expiration(_tabs(1, 3)) == _tabs(3)[0]["expiration"]  # all nearer: the furthest
    assert default_expiration([]) is None


def test_rows_pair_calls_and_puts_by_strike_and_mark_the_nearest_strike() -> None:
    chain = [
        contract("call", 95, 30, 0.7),
        contract("put", 95, 30, -0.3),
        contract("put", 105, 30, -0.6),
        contract("call", 100.5, 30, 0.5),
        contract("call", 100, 60, 0.5),  # another expiration: not shown
    ]
    expiration = chain[0].expiration

    rows = board_rows(chain, expiration=expiration, spot=SPOT, recommended={})

    assert [(r["strike"], r["call"] is not None, r["put"] is not None) for r in rows] == [
        (95, True, True),
        (100.5, True, False),
        (105, False, True),
    ]
    assert [r["strike"] for r in rows if r["atm"]] == [100.5]
    assert rows[0]["call"]["in_the_money"] and not rows[0]["put"]["in_the_money"]
    assert rows[2]["put"]["in_the_money"]


def test_a_tie_for_nearest_goes_to_the_lower_strike() -> None:
    chain = [contract("call", 99, 30, 0.55), contract("call", 101, 30, 0.45)]

    rows = board_rows(chain, expiration=chain[0].expiration, spot=SPOT, recommended={})

    assert [r["strike"] for r in rows if r["atm"]] == [99]


def test_recommendations_name_the_strategy_and_for_spreads_the_side_once_each() -> None:
    leg = {"option_ticker": "O:A", "side": "sell"}
    candidates: Any = {
        "csp": [{"legs": [leg]}, {"legs": [leg]}],
        "pmcc": [{"legs": [{"option_ticker": "O:B", "side": "buy"}, leg]}],
    }

    found = recommended_contracts(candidates)

    assert found == {
        "O:A": [
            {"strategy": "csp", "side": "sell", "label": "CSP"},
            {"strategy": "pmcc", "side": "sell", "label": "PMCC short"},
        ],
        "O:B": [{"strategy": "pmcc", "side": "buy", "label": "PMCC long"}],
    }
