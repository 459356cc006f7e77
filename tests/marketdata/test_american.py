"""The American model: where it is Black-Scholes, its bounds, dividends, the IV solve and its units."""

from __future__ import annotations

import math
from datetime import date

import pytest

from marketdata.american import (
    american_greeks,
    american_implied,
    american_implied_volatility,
    dividends_in_years,
)
from marketdata.domain import ContractType
from marketdata.pricing import black_scholes

RATE = 0.045
QUARTERLY = ((0.1, 1.0), (0.35, 1.0), (0.6, 1.0), (0.85, 1.0))  # (years until ex, cash) on a $100 stock


def value(**terms: object) -> float:
    defaults: dict[str, object] = {"spot": 100.0, "strike": 100.0, "years": 1.0, "rate": RATE}
    return american_greeks(**{**defaults, **terms}).price  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("strike", "years", "volatility"), [(80.0, 0.1, 0.2), (100.0, 1.0, 0.35), (130.0, 2.0, 0.9)]
)
def test_a_call_without_dividends_is_the_european_call(
    strike: float, years: float, volatility: float
) -> None:
    terms = {"spot": 100.0, "strike": strike, "years": years, "rate": RATE, "volatility": volatility}

    assert american_greeks(**terms, contract_type="call") == black_scholes(**terms, contract_type="call")


def test_dividends_outside_the_options_life_or_not_positive_are_ignored() -> None:
    ignored = ((0.0, 1.0), (-0.1, 1.0), (0.5, 0.0), (0.5, -2.0), (1.0, 1.0), (1.5, 1.0))

    assert value(volatility=0.3, contract_type="call", dividends=ignored) == value(
        volatility=0.3, contract_type="call"
    )


@pytest.mark.parametrize("dividends", [(), QUARTERLY])
@pytest.mark.parametrize(("strike", "volatility"), [(70.0, 0.2), (100.0, 0.3), (140.0, 0.5)])
def test_a_put_is_worth_at_least_the_european_put_and_its_intrinsic_value(
    strike: float, volatility: float, dividends: tuple[tuple[float, float], ...]
) -> None:
    european = black_scholes(
        spot=100.0, strike=strike, years=1.0, rate=RATE, volatility=volatility, contract_type="put"
    )
    put = value(strike=strike, volatility=volatility, contract_type="put", dividends=dividends)

    assert put >= max(european.price, strike - 100.0)


def test_a_dividend_lowers_a_call() -> None:
    assert value(volatility=0.3, contract_type="call", dividends=QUARTERLY) < value(
        volatility=0.3, contract_type="call"
    )


def test_a_dividend_raises_a_put() -> None:
    assert value(volatility=0.3, contract_type="put", dividends=QUARTERLY) > value(
        volatility=0.3, contract_type="put"
    )


def test_a_deep_call_before_a_large_dividend_is_worth_exercising_for_it() -> None:
    # Held to expiry it is worth about 100 − 5 − 60 e^(−rT) ≈ 36.3; exercised just before the
    # ex-date in ten days, 100 − 60 e^(−r 10/365).
    call = value(strike=60.0, years=0.5, volatility=0.2, contract_type="call", dividends=((10 / 365, 5.0),))

    assert call == pytest.approx(100.0 - 60.0 * math.exp(-RATE * 10 / 365), abs=0.01)


@pytest.mark.parametrize(
    ("contract_type", "strike", "years", "volatility", "dividends"),
    [
        ("call", 100.0, 1.0, 0.3, QUARTERLY),
        ("call", 70.0, 0.5, 0.25, QUARTERLY),
        ("call", 120.0, 0.08, 0.6, ((0.05, 1.5),)),
        ("put", 100.0, 1.0, 0.3, ()),
        ("put", 120.0, 0.5, 0.4, QUARTERLY),
        ("put", 80.0, 2.0, 0.9, QUARTERLY),
    ],
)
def test_the_iv_solve_recovers_the_volatility_that_priced_the_option(
    contract_type: ContractType,
    strike: float,
    years: float,
    volatility: float,
    dividends: tuple[tuple[float, float], ...],
) -> None:
    terms = {"spot": 100.0, "strike": strike, "years": years, "rate": RATE, "contract_type": contract_type}
    price = american_greeks(**terms, volatility=volatility, dividends=dividends).price

    assert american_implied_volatility(price=price, **terms, dividends=dividends) == pytest.approx(
        volatility, abs=1e-4
    )


@pytest.mark.parametrize(
    ("contract_type", "strike", "price", "dividends"),
    [
        ("put", 130.0, 30.0, ()),  # a deep put at its intrinsic value: exercised, no time value
        ("call", 60.0, 40.2, QUARTERLY),  # below the 40.27 of exercising before the first ex-date
        ("call", 100.0, 100.0, ()),  # at a call's upper bound, the spot
        ("put", 100.0, 100.0, QUARTERLY),  # at a put's, the strike
        ("put", 100.0, None, ()),
        ("put", 100.0, 0.0, ()),
        ("put", 100.0, float("nan"), ()),
    ],
)
def test_there_is_no_iv_where_no_volatility_reproduces_the_price(
    contract_type: ContractType,
    strike: float,
    price: float | None,
    dividends: tuple[tuple[float, float], ...],
) -> None:
    iv = american_implied_volatility(
        price=price,
        spot=100.0,
        strike=strike,
        years=1.0,
        rate=RATE,
        contract_type=contract_type,
        dividends=dividends,
    )

    assert iv is None


def test_there_is_no_iv_at_expiry() -> None:
    iv = american_implied_volatility(
        price=1.0, spot=100.0, strike=100.0, years=0.0, rate=RATE, contract_type="put"
    )

    assert iv is None


def test_the_solve_gives_the_greeks_at_the_iv() -> None:
    terms = {
        "spot": 100.0,
        "strike": 110.0,
        "years": 0.75,
        "rate": RATE,
        "contract_type": "put",
        "dividends": QUARTERLY,
    }
    at_true = american_greeks(**terms, volatility=0.35)  # type: ignore[arg-type]

    solved = american_implied(price=at_true.price, **terms)  # type: ignore[arg-type]

    assert solved is not None
    _, at_iv = solved
    assert (at_iv.delta, at_iv.gamma, at_iv.theta, at_iv.vega) == pytest.approx(
        (at_true.delta, at_true.gamma, at_true.theta, at_true.vega), rel=0.02
    )


def test_greeks_are_in_black_scholes_units() -> None:
    # An out-of-the-money put at a low rate: early exercise is worth little, so the lattice's
    # greeks are Black-Scholes' within a few percent — and theta is per calendar day, vega per
    # vol point, like theirs.
    terms = {"spot": 100.0, "strike": 90.0, "years": 0.25, "rate": 0.005, "volatility": 0.3}
    american, european = (
        american_greeks(**terms, contract_type="put"),
        black_scholes(**terms, contract_type="put"),
    )

    assert american.delta == pytest.approx(european.delta, abs=0.005)
    assert (american.gamma, american.theta, american.vega) == pytest.approx(
        (european.gamma, european.theta, european.vega), rel=0.03
    )


def test_theta_is_a_calendar_day_of_decay_and_vega_a_vol_point_of_value() -> None:
    greeks = american_greeks(
        spot=100.0,
        strike=105.0,
        years=0.5,
        rate=RATE,
        volatility=0.3,
        contract_type="put",
        dividends=QUARTERLY,
    )
    a_day_later = value(
        strike=105.0,
        years=0.5 - 1 / 365,
        volatility=0.3,
        contract_type="put",
        dividends=[(t - 1 / 365, c) for t, c in QUARTERLY],
    )
    a_point_up = value(strike=105.0, years=0.5, volatility=0.31, contract_type="put", dividends=QUARTERLY)

    assert a_day_later - greeks.price == pytest.approx(greeks.theta, rel=0.05)
    assert a_point_up - greeks.price == pytest.approx(greeks.vega, rel=0.05)


def test_a_put_deep_enough_to_exercise_has_the_greeks_of_its_intrinsic_value() -> None:
    greeks = american_greeks(
        spot=60.0, strike=100.0, years=0.5, rate=RATE, volatility=0.2, contract_type="put"
    )

    assert (greeks.price, greeks.delta, greeks.gamma, greeks.theta) == (pytest.approx(40.0), -1.0, 0.0, 0.0)


def test_dividends_in_years_keeps_those_going_ex_within_the_options_life() -> None:
    today, expiration = date(2026, 11, 24), date(2027, 6, 18)
    dividends = [
        (date(2026, 11, 24), 0.5),
        (date(2027, 2, 10), 0.5),
        (date(2027, 5, 12), 0.6),
        (date(2027, 6, 18), 0.6),
    ]

    assert dividends_in_years(dividends, today=today, expiration=expiration) == [
        (78 / 365, 0.5),
        (169 / 365, 0.6),
    ]
