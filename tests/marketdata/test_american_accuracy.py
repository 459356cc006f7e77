"""The American model against QuantLib on 504 cases: IV and delta wherever an IV can be told.

The reference is another engine than mojo's lattice: QuantLib's CRR binomial tree (1,000 steps)
without dividends, its finite-difference engine (`FdBlackScholesVanillaEngine`, 400 time x 400
space steps, the spot model: the stock drops by the cash at the ex-date) with them. The grid:
calls and puts; 7, 30, 91, 182, 365 and 730 days; strikes 50–150 % of a $100 spot; vol 15, 40
and 90 %; r 0, 2.5 and 5 % in turn; each case without dividends and with quarterly ones — the
first ex-date 60 % of the way to expiry or to day 91 (day 4 of a week, day 55 of a quarter),
then every 91 days, $0.50, $1.00 or $1.50 each (0.5–1.5 % of spot) in turn.

A case's IV can be told when its reference time value is at least $0.05 and its reference vega
(±1 vol point) at least $0.02 a vol point. On each such case the IV that mojo solves from the
reference price must be within 0.005 of the true volatility, and mojo's delta at the true
volatility within 0.01 of the reference's. Slow: about 15 s of QuantLib.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
import QuantLib as ql

from marketdata.american import american_greeks, american_implied_volatility

pytestmark = pytest.mark.slow

SPOT = 100.0
DAYS = (7, 30, 91, 182, 365, 730)
MONEYNESS = (0.5, 0.7, 0.9, 1.0, 1.1, 1.3, 1.5)
VOLS = (0.15, 0.4, 0.9)
RATES = (0.0, 0.025, 0.05)
CASH = (0.5, 1.0, 1.5)
IV_TOLERANCE = 0.005
DELTA_TOLERANCE = 0.01
MIN_TIME_VALUE = 0.05
MIN_VEGA = 0.02  # dollars per vol point
TODAY = ql.Date(24, 11, 2026)
DAY_COUNT = ql.Actual365Fixed()


@dataclass(frozen=True)
class Case:
    contract_type: str
    days: int
    strike: float
    volatility: float
    rate: float
    dividends: tuple[tuple[int, float], ...]  # (days until the ex-date, cash)

    def __str__(self) -> str:
        paid = f", {len(self.dividends)} x ${self.dividends[0][1]:.2f}" if self.dividends else ""
        return (
            f"{self.contract_type} {self.days}d K={self.strike:g} vol={self.volatility:g} "
            f"r={self.rate:g}{paid}"
        )


def cases() -> list[Case]:
    grid = itertools.product(("call", "put"), DAYS, MONEYNESS, VOLS, (False, True))
    result = []
    for i, (kind, days, moneyness, vol, paying) in enumerate(grid):
        first = max(1, round(0.6 * min(days, 91)))
        cash = CASH[(i // 6) % len(CASH)]
        dividends = tuple((day, cash) for day in range(first, days, 91)) if paying else ()
        result.append(Case(kind, days, SPOT * moneyness, vol, RATES[(i // 2) % len(RATES)], dividends))
    return result


def reference(case: Case, volatility: float) -> tuple[float, float]:
    """QuantLib's price and delta of the case at `volatility`."""
    ql.Settings.instance().evaluationDate = TODAY
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(SPOT)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, 0.0, DAY_COUNT)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, case.rate, DAY_COUNT)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), volatility, DAY_COUNT)),
    )
    kind = ql.Option.Call if case.contract_type == "call" else ql.Option.Put
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(kind, case.strike), ql.AmericanExercise(TODAY, TODAY + case.days)
    )
    if case.dividends:
        schedule = ql.DividendVector(
            [TODAY + day for day, _ in case.dividends], [c for _, c in case.dividends]
        )
        option.setPricingEngine(ql.FdBlackScholesVanillaEngine(process, schedule, 400, 400))
    else:
        option.setPricingEngine(ql.BinomialCRRVanillaEngine(process, 1000))
    return option.NPV(), option.delta()


@dataclass(frozen=True)
class Error:
    case: Case
    iv: float  # |solved − true|, inf when no IV was solved
    delta: float


def errors_on_identifiable_cases() -> list[Error]:
    found = []
    for case in cases():
        price, delta = reference(case, case.volatility)
        intrinsic = max(SPOT - case.strike if case.contract_type == "call" else case.strike - SPOT, 0.0)
        if price - intrinsic < MIN_TIME_VALUE:
            continue
        vega = (reference(case, case.volatility + 0.01)[0] - reference(case, case.volatility - 0.01)[0]) / 2
        if vega < MIN_VEGA:
            continue
        terms = {
            "spot": SPOT,
            "strike": case.strike,
            "years": case.days / 365,
            "rate": case.rate,
            "contract_type": case.contract_type,
            "dividends": [(day / 365, cash) for day, cash in case.dividends],
        }
        iv = american_implied_volatility(price=price, **terms)
        ours = american_greeks(volatility=case.volatility, **terms)
        found.append(
            Error(
                case, abs(iv - case.volatility) if iv is not None else float("inf"), abs(ours.delta - delta)
            )
        )
    return found


def test_iv_and_delta_match_quantlib_wherever_the_iv_can_be_told() -> None:
    errors = errors_on_identifiable_cases()
    worst_iv = max(errors, key=lambda e: e.iv)
    worst_delta = max(errors, key=lambda e: e.delta)
    off = [e for e in errors if e.iv > IV_TOLERANCE or e.delta > DELTA_TOLERANCE]
    report = (
        f"{len(errors)} identifiable cases of {len(cases())}; worst IV error {worst_iv.iv:.5f} "
        f"({worst_iv.case}), worst delta error {worst_delta.delta:.5f} ({worst_delta.case}); "
        f"tolerances {IV_TOLERANCE} and {DELTA_TOLERANCE}; outside them: "
        + ("; ".join(f"{e.case}: IV {e.iv:.5f}, delta {e.delta:.5f}" for e in off[:10]) or "none")
    )
    print(report)

    assert len(errors) >= 300 and not off, report
