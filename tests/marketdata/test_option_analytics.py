"""Option analytics: price priority, Black-Scholes vs Hull, IV solvers, contract fields, ATM IV, IV rank."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from marketdata.american import american_greeks
from marketdata.domain import ContractType, OptionSnapshot
from marketdata.option_analytics import analyze_contract, atm_iv, dte_buckets, option_price
from marketdata.pricing import black_scholes, implied_volatility
from marketdata.volatility import IVStats, iv_stats

TODAY = date(2026, 11, 24)
RATE = 0.04

# Hull, example 17.2 (math-and-calendar.md).
HULL = {"spot": 49.0, "strike": 50.0, "years": 0.3846, "rate": 0.05}


def snapshot(**overrides: Any) -> OptionSnapshot:
    fields: dict[str, Any] = {
        "option_ticker": "O:ACME261224C00100000",
        "underlying": "ACME",
        "contract_type": "call",
        "strike": 100.0,
        "expiration": TODAY + timedelta(days=30),
    }
    fields.update(overrides)
    return OptionSnapshot(**fields)


# --- Price priority -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bid", "ask", "close", "expected"),
    [
        (1.0, 1.2, 0.9, (1.1, "mid")),
        (1.0, None, 0.9, (1.0, "bid")),
        (1.0, 0.0, 0.9, (1.0, "bid")),
        (None, 1.2, 0.9, (1.2, "ask")),
        (0.0, 1.2, 0.9, (1.2, "ask")),
        (None, None, 0.9, (0.9, "close")),
        (0.0, 0.0, 0.9, (0.9, "close")),
        (None, None, None, (None, "none")),
        (0.0, 0.0, 0.0, (None, "none")),
    ],
)
def test_option_price_follows_the_spec_priority(
    bid: float | None, ask: float | None, close: float | None, expected: tuple[float | None, str]
) -> None:
    price, source = option_price(bid, ask, close)

    assert (price, source) == (pytest.approx(expected[0]) if expected[0] else None, expected[1])


# --- Black-Scholes and implied volatility -------------------------------------------------------


def test_black_scholes_matches_hull_example_17_2() -> None:
    result = black_scholes(**HULL, volatility=0.20, contract_type="call")

    assert result.price == pytest.approx(2.40046, abs=1e-4)
    assert result.delta == pytest.approx(0.52160, abs=1e-4)
    assert result.gamma == pytest.approx(0.065545, abs=1e-4)
    assert result.theta == pytest.approx(-0.011796, abs=1e-4)
    assert result.vega == pytest.approx(0.121052, abs=1e-4)


def test_implied_volatility_recovers_hull_volatility_from_the_price() -> None:
    iv = implied_volatility(price=2.40046, **HULL, contract_type="call")

    assert iv == pytest.approx(0.20, abs=1e-4)


@pytest.mark.parametrize("volatility", [0.1, 0.35, 1.2, 3.0])
@pytest.mark.parametrize(("contract_type", "strike"), [("call", 90.0), ("call", 115.0), ("put", 95.0)])
def test_implied_volatility_inverts_black_scholes(
    volatility: float, contract_type: ContractType, strike: float
) -> None:
    price = black_scholes(
        spot=100.0, strike=strike, years=0.25, rate=RATE, volatility=volatility, contract_type=contract_type
    ).price

    iv = implied_volatility(
        price=price, spot=100.0, strike=strike, years=0.25, rate=RATE, contract_type=contract_type
    )

    assert iv == pytest.approx(volatility, rel=1e-6)


@pytest.mark.parametrize(
    "price",
    [
        None,
        0.0,
        19.5,  # below a deep call's intrinsic value (spot 120, strike 100)
        120.0,  # at the call's upper bound, the spot
    ],
)
def test_implied_volatility_is_none_without_a_solution(price: float | None) -> None:
    iv = implied_volatility(price=price, spot=120.0, strike=100.0, years=0.5, rate=RATE, contract_type="call")

    assert iv is None


def test_implied_volatility_is_none_at_expiry() -> None:
    assert (
        implied_volatility(price=1.0, spot=100, strike=100, years=0.0, rate=RATE, contract_type="put") is None
    )


# --- analyze_contract ---------------------------------------------------------------------------


def test_provider_greeks_are_kept_and_marked_provider() -> None:
    contract = snapshot(
        delta=0.55, gamma=0.03, theta=-0.05, vega=0.12, implied_volatility=0.3, bid=2, ask=2.2
    )

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert (result["delta"], result["gamma"], result["theta"], result["vega"]) == (0.55, 0.03, -0.05, 0.12)
    assert result["greeks_source"] == "provider"


def test_missing_greeks_are_computed_from_the_provider_iv() -> None:
    contract = snapshot(implied_volatility=0.25, bid=2.0, ask=2.2)
    expected = black_scholes(
        spot=100.0, strike=100.0, years=30 / 365, rate=RATE, volatility=0.25, contract_type="call"
    )

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert result["greeks_source"] == "computed"
    assert result["delta"] == pytest.approx(expected.delta, abs=1e-12)
    assert result["theta"] == pytest.approx(expected.theta, abs=1e-12)
    assert (result["iv"], result["iv_source"]) == (0.25, "provider")


def test_missing_greeks_and_iv_are_computed_from_the_price() -> None:
    # By the American model, which priced the put: a put can be exercised early.
    price = american_greeks(
        spot=100.0, strike=95.0, years=30 / 365, rate=RATE, volatility=0.4, contract_type="put"
    ).price
    contract = snapshot(contract_type="put", strike=95.0, day_close=price)

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert result["iv"] == pytest.approx(0.4, abs=1e-4)
    assert (result["iv_source"], result["greeks_source"]) == ("computed", "computed")
    assert result["delta"] < 0


def test_computed_greeks_count_the_dividends_going_ex_before_expiration() -> None:
    contract = snapshot(implied_volatility=0.3, bid=12.0, ask=12.4, strike=90.0)  # a call, 30 days
    dividends = [(TODAY + timedelta(days=10), 1.5), (TODAY + timedelta(days=40), 1.5)]
    expected = american_greeks(
        spot=100.0,
        strike=90.0,
        years=30 / 365,
        rate=RATE,
        volatility=0.3,
        contract_type="call",
        dividends=[(10 / 365, 1.5)],  # the second goes ex after expiration
    )

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE, dividends=dividends).to_payload()
    without = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert result["delta"] == pytest.approx(expected.delta, abs=1e-12)
    assert result["delta"] != pytest.approx(without["delta"], abs=1e-3)


def test_greeks_are_not_invented_without_iv_or_price() -> None:
    result = analyze_contract(snapshot(), spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert (result["delta"], result["gamma"], result["theta"], result["vega"]) == (None, None, None, None)
    assert (result["greeks_source"], result["iv"], result["price"]) == (None, None, None)


def test_contract_fields_dte_mid_spread_and_value_split() -> None:
    contract = snapshot(strike=90.0, bid=11.0, ask=12.0, delta=0.8, open_interest=500, day_volume=40)

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert result["dte"] == 30
    assert result["expiration"] == (TODAY + timedelta(days=30)).isoformat()
    assert (result["mid"], result["price"], result["price_source"]) == (11.5, 11.5, "mid")
    assert result["spread_pct"] == pytest.approx(100 * 1.0 / 11.5)
    assert (result["intrinsic"], result["extrinsic"]) == (10.0, 1.5)
    assert (result["open_interest"], result["volume"], result["multiplier"]) == (500, 40, 100)


def test_spread_is_null_without_both_sides_of_the_quote() -> None:
    result = analyze_contract(
        snapshot(bid=1.0, day_close=1.1), spot=100.0, today=TODAY, rate=RATE
    ).to_payload()

    assert (result["mid"], result["spread_pct"], result["price_source"]) == (None, None, "bid")


@pytest.mark.parametrize(
    ("contract_type", "strike", "expected", "pct"),
    [
        ("call", 90.0, "ITM", -10.0),
        ("call", 110.0, "OTM", 10.0),
        ("put", 110.0, "ITM", 10.0),
        ("put", 90.0, "OTM", -10.0),
        ("call", 100.5, "ATM", 0.5),
        ("put", 99.5, "ATM", -0.5),
    ],
)
def test_moneyness_by_type_and_distance_from_spot(
    contract_type: str, strike: float, expected: str, pct: float
) -> None:
    contract = snapshot(contract_type=contract_type, strike=strike)

    result = analyze_contract(contract, spot=100.0, today=TODAY, rate=RATE).to_payload()

    assert result["moneyness"] == expected
    assert result["moneyness_pct"] == pytest.approx(pct)


def test_analysed_contract_is_json_serialisable() -> None:
    result = analyze_contract(
        snapshot(implied_volatility=0.3, bid=1, ask=1.1), spot=100, today=TODAY, rate=RATE
    ).to_payload()

    assert json.loads(json.dumps(result)) == result


# --- ATM IV and DTE buckets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """What ATM IV and the DTE buckets read of an analysed contract."""

    contract_type: str
    strike: float
    iv: float | None
    dte: int
    expiration: date


def row(contract_type: str, strike: float, iv: float | None, dte: int = 30) -> Row:
    return Row(contract_type, strike, iv, dte, TODAY + timedelta(days=dte))


def test_atm_iv_interpolates_between_the_strikes_around_spot_and_averages_sides() -> None:
    chain = [
        row("call", 95, 0.30), row("call", 100, 0.26), row("call", 105, 0.22),
        row("put", 95, 0.34), row("put", 100, 0.30), row("put", 105, 0.28),
    ]  # fmt: skip

    # spot 102: calls 0.26 + 0.4 x (0.22 - 0.26) = 0.244; puts 0.30 - 0.4 x 0.02 = 0.292.
    assert atm_iv(chain, spot=102.0) == pytest.approx((0.244 + 0.292) / 2)


def test_atm_iv_uses_one_side_alone_when_the_other_has_no_iv() -> None:
    chain = [row("call", 95, 0.30), row("call", 105, 0.20), row("put", 95, None), row("put", 105, None)]

    assert atm_iv(chain, spot=100.0) == pytest.approx(0.25)


def test_atm_iv_takes_the_nearest_strike_when_spot_is_outside_the_strikes() -> None:
    chain = [row("call", 95, 0.30), row("call", 100, 0.26), row("put", 95, 0.32), row("put", 100, 0.28)]

    assert atm_iv(chain, spot=120.0) == pytest.approx((0.26 + 0.28) / 2)
    assert atm_iv(chain, spot=80.0) == pytest.approx((0.30 + 0.32) / 2)


def test_atm_iv_skips_contracts_without_iv_when_bracketing() -> None:
    chain = [row("call", 95, 0.30), row("call", 100, None), row("call", 105, 0.20)]

    assert atm_iv(chain, spot=100.0) == pytest.approx(0.25)


def test_atm_iv_uses_the_expiration_nearest_30_dte() -> None:
    chain = [row("call", 100, 0.50, dte=8), row("call", 100, 0.31, dte=28), row("call", 100, 0.40, dte=45)]

    assert atm_iv(chain, spot=100.0) == pytest.approx(0.31)


def test_atm_iv_breaks_a_dte_tie_toward_the_later_expiration() -> None:
    chain = [row("call", 100, 0.20, dte=23), row("call", 100, 0.40, dte=37)]

    assert atm_iv(chain, spot=100.0) == pytest.approx(0.40)


def test_atm_iv_is_null_when_no_contract_has_iv() -> None:
    assert atm_iv([row("call", 100, None), row("put", 100, None)], spot=100.0) is None


def test_dte_buckets_count_expirations_and_contracts() -> None:
    chain = [
        row("call", 100, 0.3, dte=5),
        row("put", 100, 0.3, dte=5),
        row("call", 100, 0.3, dte=7),
        row("call", 100, 0.3, dte=30),
        row("call", 100, 0.3, dte=100),
        row("call", 100, 0.3, dte=400),
    ]

    buckets = {b["label"]: b for b in dte_buckets(chain)}

    assert list(buckets) == ["0-7", "8-14", "15-21", "22-30", "31-45", "46-60", "365-900"]
    assert (buckets["0-7"]["expiration_count"], buckets["0-7"]["contract_count"]) == (2, 3)
    assert (buckets["22-30"]["expiration_count"], buckets["8-14"]["contract_count"]) == (1, 0)
    assert buckets["365-900"]["expirations"] == [(TODAY + timedelta(days=400)).isoformat()]
    assert sum(b["contract_count"] for b in buckets.values()) == 5  # DTE 100 is in no bucket


# --- IV rank and percentile ---------------------------------------------------------------------


def test_iv_rank_of_45_in_a_30_to_60_range_is_50() -> None:
    history = [0.30 + 0.30 * i / 29 for i in range(30)]  # 30 sessions from 0.30 to 0.60

    stats = iv_stats(history, 0.45)

    assert stats.iv_rank == pytest.approx(50.0)
    assert stats.observations == 30
    assert stats.reason is None


def test_iv_percentile_is_the_share_of_sessions_below_today() -> None:
    history = [0.20] * 5 + [0.30] * 10 + [0.40] * 5

    stats = iv_stats(history, 0.30)

    assert stats.iv_percentile == pytest.approx(25.0)


def test_iv_stats_are_null_with_a_reason_below_20_observations() -> None:
    stats = iv_stats([0.3 + i / 100 for i in range(19)], 0.35)

    assert (stats.iv_rank, stats.iv_percentile, stats.observations) == (None, None, 19)
    assert stats.reason is not None and "19" in stats.reason


def test_iv_rank_is_null_when_iv_never_moved() -> None:
    stats = iv_stats([0.3] * 25, 0.3)

    assert stats.iv_rank is None
    assert stats.reason is not None
    assert stats.iv_percentile == 0.0


def test_iv_stats_use_only_the_last_252_sessions() -> None:
    history = [0.9] * 10 + [0.30, 0.60] * 126  # the 0.9s are older than 252 sessions

    assert iv_stats(history, 0.45).iv_rank == pytest.approx(50.0)


def test_iv_stats_without_a_current_iv_are_null() -> None:
    assert iv_stats([0.3, 0.4] * 20, None) == IVStats(None, None, 40, "no current ATM IV")
