"""Strategy signals: CSP, covered call, LEAPS and PMCC rules, earnings, missing quotes and greeks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from marketdata.domain import OptionSnapshot
from marketdata.option_analytics import AnalysedContract, analyze_contract
from marketdata.strategies import (
    EARNINGS_UNKNOWN,
    NO_QUOTE_SPREAD_SKIPPED,
    STRATEGIES,
    THRESHOLDS,
    candidate_counts,
    generate_signals,
)

TODAY = date(2026, 11, 24)
SPOT = 100.0
RATE = 0.04


def contract(
    contract_type: str,
    strike: float,
    dte: int,
    delta: float | None,
    *,
    bid: float | None = 1.00,
    ask: float | None = 1.05,
    close: float | None = None,
    open_interest: int | None = 1000,
    iv: float | None = 0.30,
) -> AnalysedContract:
    """An analysed contract with provider greeks (delta None: the provider sent none)."""
    expiration = TODAY + timedelta(days=dte)
    letter = "C" if contract_type == "call" else "P"
    snapshot = OptionSnapshot(
        option_ticker=f"O:ACME{expiration:%y%m%d}{letter}{int(strike * 1000):08d}",
        underlying="ACME",
        contract_type=contract_type,  # type: ignore[arg-type]
        strike=strike,
        expiration=expiration,
        bid=bid,
        ask=ask,
        day_close=close,
        delta=delta,
        gamma=None if delta is None else 0.02,
        theta=None if delta is None else -0.03,
        vega=None if delta is None else 0.1,
        implied_volatility=iv,
        open_interest=open_interest,
    )
    return analyze_contract(snapshot, spot=SPOT, today=TODAY, rate=RATE)


def signals(chain: list[AnalysedContract], **overrides: Any) -> dict[str, list[dict[str, Any]]]:
    arguments: dict[str, Any] = {
        "spot": SPOT,
        "today": TODAY,
        "earnings_date": None,
        "earnings_known": True,
        "include_earnings": False,
        "shares_held": 0,
        "thresholds": THRESHOLDS,
    }
    arguments.update(overrides)
    return generate_signals(chain, **arguments)  # type: ignore[return-value]


def counts(chain: list[AnalysedContract]) -> dict[str, int]:
    """How many candidates each strategy has in `chain` (what the cached chain summary stores)."""
    return candidate_counts(
        chain,
        spot=SPOT,
        today=TODAY,
        earnings_date=None,
        earnings_known=True,
        thresholds=THRESHOLDS,
    )


def tickers(candidates: list[dict[str, Any]]) -> set[str]:
    return {leg["option_ticker"] for c in candidates for leg in c["legs"]}


# --- CSP and covered call -----------------------------------------------------------------------


def test_csp_keeps_only_puts_inside_the_dte_delta_and_liquidity_rules() -> None:
    good = contract("put", 92, 30, -0.28)
    chain = [
        good,
        contract("put", 93, 14, -0.28),  # too few DTE
        contract("put", 97, 30, -0.45),  # |delta| too high
        contract("put", 91, 30, -0.28, open_interest=50),  # open interest below 100
        contract("put", 90, 30, -0.28, bid=1.0, ask=1.5),  # spread 40 % of mid
        contract("put", 89, 30, -0.28, bid=0.0, ask=1.0),  # one-sided quote
        contract("call", 108, 30, 0.28),  # a call
    ]

    result = signals(chain, strategies=["csp"])

    assert tickers(result["csp"]) == {good.option_ticker}


def test_csp_candidate_figures() -> None:
    put = contract("put", 90, 30, -0.30, bid=1.00, ask=1.04)

    (candidate,) = signals([put], strategies=["csp"])["csp"]

    assert candidate["legs"] == [
        {
            "option_ticker": put.option_ticker, "side": "sell", "contract_type": "put", "strike": 90,
            "expiration": put.expiration.isoformat(), "dte": 30, "price": pytest.approx(1.02),
            "price_source": "mid", "delta": -0.30, "greeks_source": "provider",
        }
    ]  # fmt: skip
    assert candidate["premium"] == pytest.approx(1.02)
    assert candidate["capital"] == 9000
    assert candidate["breakeven"] == pytest.approx(88.98)
    assert candidate["max_profit"] == pytest.approx(102.0)
    assert candidate["return_pct"] == pytest.approx(100 * 1.02 / 90)
    assert candidate["annualised_return_pct"] == pytest.approx(100 * 1.02 / 90 * 365 / 30)
    assert candidate["prob_otm"] == pytest.approx(70.0)


def test_candidates_are_ranked_by_score_and_capped_at_max_candidates() -> None:
    chain = [contract("put", 80 + i, 30, -(0.16 + 0.02 * i)) for i in range(10)]

    ranked = signals(chain, strategies=["csp"])["csp"]

    assert len(ranked) == THRESHOLDS.max_candidates
    assert [c["score"] for c in ranked] == sorted((c["score"] for c in ranked), reverse=True)
    assert ranked[0]["legs"][0]["delta"] == pytest.approx(-0.30)  # the target delta wins


def test_covered_call_says_the_user_holds_enough_shares() -> None:
    call = contract("call", 108, 30, 0.28)

    (candidate,) = signals([call], strategies=["covered_call"], shares_held=250)["covered_call"]

    assert candidate["shares_covered"] is True
    assert any("250 shares" in reason for reason in candidate["reasons"])
    assert candidate["capital"] == SPOT * 100


def test_covered_call_warns_when_the_user_holds_fewer_than_100_shares() -> None:
    call = contract("call", 108, 30, 0.28)

    (candidate,) = signals([call], strategies=["covered_call"], shares_held=40)["covered_call"]

    assert candidate["shares_covered"] is False
    assert any("40 shares" in warning for warning in candidate["warnings"])


# --- LEAPS and PMCC -----------------------------------------------------------------------------


def test_leaps_keeps_long_dated_calls_in_the_delta_window_and_shows_extrinsic() -> None:
    good = contract("call", 80, 500, 0.80, bid=24.0, ask=26.0)
    chain = [
        good,
        contract("call", 70, 500, 0.95, bid=31.0, ask=32.0),  # delta above 0.90
        contract("call", 85, 200, 0.80, bid=17.0, ask=18.0),  # too short
    ]

    (candidate,) = signals(chain, strategies=["leaps"])["leaps"]

    assert candidate["legs"][0]["option_ticker"] == good.option_ticker
    assert candidate["net_debit"] == pytest.approx(25.0)
    assert candidate["extrinsic_pct"] == pytest.approx(100 * 5.0 / 25.0)
    assert candidate["breakeven"] == pytest.approx(105.0)


def test_pmcc_excludes_a_pair_whose_long_strike_plus_net_debit_reaches_the_short_strike() -> None:
    long = contract("call", 80, 500, 0.85, bid=24.9, ask=25.1)  # 25.00
    failing_short = contract("call", 100, 30, 0.30, bid=1.95, ask=2.05)  # 80 + 23.00 >= 100
    passing_short = contract("call", 105, 30, 0.25, bid=1.45, ask=1.55)  # 80 + 23.50 < 105

    result = signals([long, failing_short, passing_short], strategies=["pmcc"])["pmcc"]

    assert [[leg["option_ticker"] for leg in c["legs"]] for c in result] == [
        [long.option_ticker, passing_short.option_ticker]
    ]
    (candidate,) = result
    assert candidate["net_debit"] == pytest.approx(23.5)
    assert candidate["breakeven"] == pytest.approx(103.5)
    assert candidate["capital"] == pytest.approx(2350.0)


# --- Earnings -------------------------------------------------------------------------------------


def test_short_leg_expiring_on_or_after_earnings_is_excluded_by_default() -> None:
    before = contract("put", 92, 30, -0.28)
    on = contract("put", 91, 40, -0.28)
    after = contract("put", 90, 50, -0.28)

    result = signals([before, on, after], strategies=["csp"], earnings_date=TODAY + timedelta(days=40))

    assert tickers(result["csp"]) == {before.option_ticker}


def test_include_earnings_keeps_the_short_leg_with_a_warning() -> None:
    after = contract("put", 90, 50, -0.28)

    (candidate,) = signals(
        [after], strategies=["csp"], earnings_date=TODAY + timedelta(days=40), include_earnings=True
    )["csp"]

    assert any("earnings" in warning for warning in candidate["warnings"])


def test_earnings_also_exclude_the_short_leg_of_a_pmcc() -> None:
    long = contract("call", 80, 500, 0.85, bid=24.9, ask=25.1)
    short = contract("call", 105, 30, 0.25, bid=1.45, ask=1.55)

    result = signals([long, short], strategies=["pmcc"], earnings_date=TODAY + timedelta(days=20))

    assert result["pmcc"] == []


def test_unknown_earnings_put_a_warning_on_every_candidate() -> None:
    chain = [
        contract("put", 92, 30, -0.28),
        contract("call", 108, 30, 0.28),
        contract("call", 80, 500, 0.80, bid=24.0, ask=26.0),
        contract("call", 105, 30, 0.25, bid=1.45, ask=1.55),
    ]

    result = signals(chain, earnings_known=False)

    candidates = [c for strategy in STRATEGIES for c in result[strategy]]
    assert {c["strategy"] for c in candidates} == set(STRATEGIES)
    assert all(EARNINGS_UNKNOWN in c["warnings"] for c in candidates)


def test_known_earnings_carry_no_unknown_warning() -> None:
    (candidate,) = signals([contract("put", 92, 30, -0.28)], strategies=["csp"])["csp"]

    assert EARNINGS_UNKNOWN not in candidate["warnings"]


# --- Missing quotes and greeks ------------------------------------------------------------------


def test_a_chain_without_quotes_still_yields_flagged_candidates_priced_at_the_close() -> None:
    chain = [
        contract("put", 92, 30, -0.28, bid=None, ask=None, close=1.10),
        contract("call", 108, 30, 0.28, bid=None, ask=None, close=0.90),
        contract("call", 80, 500, 0.80, bid=None, ask=None, close=25.0),
    ]

    result = signals(chain)

    for strategy in ("csp", "covered_call", "leaps"):
        (candidate,) = result[strategy]
        assert candidate["legs"][0]["price_source"] == "close"
        assert any("no bid/ask quote" in warning for warning in candidate["warnings"])
    assert NO_QUOTE_SPREAD_SKIPPED in result["csp"][0]["warnings"]


def _without_greeks(analysed: AnalysedContract) -> AnalysedContract:
    return replace(analysed, delta=None, gamma=None, theta=None, vega=None, greeks_source=None)


def test_contracts_without_usable_greeks_are_never_selected() -> None:
    put = contract("put", 92, 30, -0.30)
    call = contract("call", 108, 30, 0.30)
    long = contract("call", 80, 500, 0.85, bid=24.9, ask=25.1)
    short = contract("call", 105, 30, 0.25, bid=1.45, ask=1.55)
    with_greeks = counts([put, call, long, short])
    assert all(with_greeks.values())  # each contract would be chosen with its greeks

    singles = [_without_greeks(c) for c in (put, call, long, short)]
    greekless_short = signals([long, _without_greeks(short)], strategies=["pmcc"])
    greekless_long = signals([_without_greeks(long), short], strategies=["pmcc"])

    assert counts(singles) == dict.fromkeys(STRATEGIES, 0)
    assert greekless_short["pmcc"] == greekless_long["pmcc"] == []


def test_computed_greeks_are_used_and_flagged() -> None:
    put = contract("put", 92, 30, None, iv=0.35)  # no provider greeks, provider IV

    (candidate,) = signals([put], strategies=["csp"])["csp"]

    assert candidate["legs"][0]["greeks_source"] == "computed"
    assert any("computed" in warning for warning in candidate["warnings"])


# --- Shape ----------------------------------------------------------------------------------------


def test_signal_counts_count_candidates_per_strategy() -> None:
    chain = [contract("put", 92, 30, -0.28), contract("put", 93, 35, -0.31)]

    assert counts(chain) == {"csp": 2, "covered_call": 0, "leaps": 0, "pmcc": 0}


def test_pmcc_counts_each_short_leg_with_a_valid_long_leg_once() -> None:
    longs = [
        contract("call", 80, 500, 0.85, bid=24.9, ask=25.1),
        contract("call", 78, 520, 0.87, bid=26.9, ask=27.1),
    ]
    shorts = [
        contract("call", 105, 30, 0.25, bid=1.45, ask=1.55),
        contract("call", 107, 35, 0.22, bid=1.35, ask=1.45),
    ]
    orphan = contract("call", 100, 30, 0.30, bid=1.95, ask=2.05)  # no long leg makes a valid pair

    pairs = signals([*longs, *shorts, orphan], strategies=["pmcc"])["pmcc"]
    assert len(pairs) == 4  # every long with every short

    assert counts([*longs, *shorts, orphan])["pmcc"] == 2


def test_counts_exclude_short_legs_expiring_on_or_after_earnings_but_not_leaps() -> None:
    chain = [
        contract("put", 92, 25, -0.28),
        contract("put", 92, 40, -0.28),
        contract("call", 108, 40, 0.30),
        contract("call", 80, 500, 0.80, bid=24.0, ask=26.0),
    ]
    earnings = TODAY + timedelta(days=30)

    known = candidate_counts(
        chain, spot=SPOT, today=TODAY, earnings_date=earnings, earnings_known=True, thresholds=THRESHOLDS
    )
    unknown = candidate_counts(
        chain, spot=SPOT, today=TODAY, earnings_date=None, earnings_known=False, thresholds=THRESHOLDS
    )

    assert known == {"csp": 1, "covered_call": 0, "leaps": 1, "pmcc": 0}
    assert unknown == {"csp": 2, "covered_call": 1, "leaps": 1, "pmcc": 1}


def test_unknown_strategy_is_rejected() -> None:
    with pytest.raises(ValueError, match="straddle"):
        signals([], strategies=["straddle"])
