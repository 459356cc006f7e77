"""Strategy signals from an analysed option chain: CSP, covered call, LEAPS and PMCC candidates.

Pure computation (no Django): takes `AnalysedContract`s (`analyze_contract()`), `spot`, `today`
and the typed thresholds (`THRESHOLDS`, see `thresholds.py`) and returns ranked candidates per
strategy.
Units: prices per share; `premium`, `net_debit` and `breakeven` per share; `capital` and
`max_profit` per position (x the contract multiplier); `*_pct` and `prob_otm` in percent.

Rules (thresholds named as in `thresholds.py`):
- CSP: puts, `min_dte`-`max_dte`, |delta| within `min_abs_delta`-`max_abs_delta`, open
  interest >= `min_open_interest`, spread <= `max_spread_pct` of mid; capital = strike x multiplier.
- Covered call: calls with the same rules; capital = spot x multiplier (the shares); says
  whether `shares_held` covers a contract.
- LEAPS: calls, `min_dte`-`max_dte`, delta within `min_abs_delta`-`max_abs_delta`; shows
  extrinsic value as % of price.
- PMCC: a long call (`long_min_dte`-`long_max_dte`, delta >= `long_min_delta`) with a short
  call (`short_min_dte`-`short_max_dte`, delta `short_min_delta`-`short_max_delta`), short
  strike > long strike, kept only when long strike + net debit < short strike.
- A contract is chosen by delta only when it has usable greeks (provider or computed), and
  only when it has a price (mid, bid, ask or day close by the spec's priority).
- Earnings: a short leg expiring on or after the next earnings date is excluded unless
  `include_earnings` (then kept with a warning); an unknown earnings date puts "earnings date
  unknown" on every candidate.
- No bid/ask quote on a contract (plans without quotes): the spread rule is skipped with a
  warning and the price is the day close. An unknown open interest skips that rule with a
  warning. A one-sided or crossed-out quote fails the spread rule.

Score (0-100, higher is better): 100 x sum(w_i x c_i) / sum(w_i) over the components c_i
in [0, 1] that are known (unknown ones - no spread, no IV rank - drop out with their weight):
- delta fit = 1 - |delta - target| / max(target - min, max - target)  (|delta| for puts)
- yield = min(annualised_return_pct / 50, 1)
- liquidity = 1 - spread_pct / max_spread_pct (10 % unless a strategy sets another), floored at 0
- IV = iv_rank / 100 for sellers, 1 - iv_rank / 100 for a LEAPS buyer
- extrinsic = 1 - extrinsic_pct / 20, floored at 0 (cheaper time value is better for a long leg)
Weights: CSP and covered call: delta fit 0.4, yield 0.3, liquidity 0.2, IV 0.1.
LEAPS: delta fit 0.4, extrinsic 0.3, liquidity 0.2, IV 0.1.
PMCC: short-leg delta fit 0.25 (target `short_target_delta`, default the window's middle),
yield on the net debit 0.35, long-leg extrinsic 0.2, liquidity (mean of the legs) 0.2.
Ties rank by annualised return, then by option ticker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from marketdata.option_analytics import AnalysedContract
from marketdata.strategies import leaps, pmcc, rulebook, short_premium
from marketdata.strategies.counts import (
    CandidateExpirations,
    candidate_counts,
    candidate_expirations,
    signal_counts,
)
from marketdata.strategies.rulebook import (
    EARNINGS_UNKNOWN,
    GREEKS_COMPUTED,
    NO_QUOTE,
    NO_QUOTE_SPREAD_SKIPPED,
    OPEN_INTEREST_UNKNOWN,
    STRATEGIES,
    Candidate,
    Leg,
    StrategyName,
)
from marketdata.strategies.thresholds import THRESHOLDS, StrategyThresholds

__all__ = [
    "EARNINGS_UNKNOWN",
    "GREEKS_COMPUTED",
    "NO_QUOTE",
    "NO_QUOTE_SPREAD_SKIPPED",
    "OPEN_INTEREST_UNKNOWN",
    "STRATEGIES",
    "THRESHOLDS",
    "Candidate",
    "CandidateExpirations",
    "Leg",
    "StrategyName",
    "StrategyThresholds",
    "candidate_counts",
    "candidate_expirations",
    "generate_signals",
    "signal_counts",
]


def _rank(candidates: list[Candidate], limit: int) -> list[Candidate]:
    def key(candidate: Candidate) -> tuple[float, float, tuple[str, ...]]:
        annualised = candidate.get("annualised_return_pct")
        return (
            -candidate["score"],
            -(annualised if annualised is not None else -math.inf),
            tuple(leg["option_ticker"] for leg in candidate["legs"]),
        )

    return sorted(candidates, key=key)[:limit]


def generate_signals(
    contracts: Sequence[AnalysedContract],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    include_earnings: bool,
    shares_held: float,
    thresholds: StrategyThresholds = THRESHOLDS,
    strategies: Iterable[str] = rulebook.STRATEGIES,
    iv_rank: float | None = None,
) -> dict[str, list[Candidate]]:
    """Return the ranked candidates of each requested strategy (see the module docstring).

    `contracts` are `analyze_contract()` results (DTE is recomputed from `today`);
    `earnings_known` False means the next earnings date could not be learnt; an
    `earnings_date` before `today` is not the next one and is ignored. At most
    `thresholds.max_candidates` (default 5) candidates per strategy.
    """
    requested = list(strategies)
    unknown = sorted(set(requested) - set(rulebook.STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategies: {', '.join(unknown)}")
    options, ctx = rulebook.prepare(
        contracts,
        spot=spot,
        today=today,
        earnings_date=earnings_date,
        earnings_known=earnings_known,
        include_earnings=include_earnings,
        shares_held=shares_held,
        iv_rank=iv_rank,
    )
    limit = thresholds.max_candidates
    builders: dict[str, Callable[[], list[Candidate]]] = {
        "csp": lambda: short_premium.short_premium(options, ctx, thresholds.csp, strategy="csp"),
        "covered_call": lambda: short_premium.short_premium(
            options, ctx, thresholds.covered_call, strategy="covered_call"
        ),
        "leaps": lambda: leaps.leaps(options, ctx, thresholds.leaps),
        "pmcc": lambda: pmcc.pmcc(options, ctx, thresholds.pmcc, limit),
    }
    return {name: _rank(builders[name](), limit) for name in requested}
