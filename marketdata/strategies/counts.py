"""Signal counts: how many trades each strategy offers on a chain, as a dashboard shows them.

A count applies every rule of `generate_signals`, the earnings exclusion included, and is not
capped by `max_candidates`; PMCC counts each short leg with at least one valid long leg once
(a trader picks a short call, then one long leg for it; every pair would count a short many
times). Earnings move on their own schedule, so a chain stores its candidates by the
expiration the earnings rule reads (`candidate_expirations`, at fetch time) and
`signal_counts` applies the symbol's earnings date of the moment (at read time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from marketdata.option_analytics import AnalysedContract
from marketdata.strategies import leaps, pmcc, rulebook, short_premium
from marketdata.strategies.thresholds import THRESHOLDS, StrategyThresholds

# The strategies whose short leg the earnings rule reads (LEAPS has none).
EARNINGS_RULED = frozenset({"csp", "covered_call", "pmcc"})

# Strategy -> ISO expiration of the leg the earnings rule reads -> how many candidates.
CandidateExpirations = dict[str, dict[str, int]]


def candidate_expirations(
    contracts: Sequence[AnalysedContract],
    *,
    spot: float,
    today: date,
    thresholds: StrategyThresholds = THRESHOLDS,
) -> CandidateExpirations:
    """Each strategy's candidates by expiration, every rule applied but the earnings one."""
    options, ctx = rulebook.prepare(
        contracts,
        spot=spot,
        today=today,
        earnings_date=None,
        earnings_known=True,
        include_earnings=False,
        shares_held=0,
        iv_rank=None,
    )
    pmcc_shorts = {
        pair.short.ticker: pair.short.expiration for pair in pmcc.pmcc_pairs(options, ctx, thresholds.pmcc)
    }
    by_strategy: dict[str, Iterable[str]] = {
        "csp": _first_legs(short_premium.short_premium(options, ctx, thresholds.csp, strategy="csp")),
        "covered_call": _first_legs(
            short_premium.short_premium(options, ctx, thresholds.covered_call, strategy="covered_call")
        ),
        "leaps": _first_legs(leaps.leaps(options, ctx, thresholds.leaps)),
        "pmcc": (expiration.isoformat() for expiration in pmcc_shorts.values()),
    }
    return {name: dict(sorted(Counter(found).items())) for name, found in by_strategy.items()}


def _first_legs(candidates: Iterable[rulebook.Candidate]) -> list[str]:
    return [candidate["legs"][0]["expiration"] for candidate in candidates]


def signal_counts(
    expirations: Mapping[str, Mapping[str, int]],
    *,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
) -> dict[str, int]:
    """The counts with the earnings rule applied for the symbol's current earnings date."""
    earnings = rulebook.next_earnings(today, earnings_date, earnings_known=earnings_known)
    return {
        name: sum(
            count
            for expiration, count in by_expiration.items()
            if name not in EARNINGS_RULED
            or rulebook.before_earnings(date.fromisoformat(expiration), earnings)
        )
        for name, by_expiration in expirations.items()
    }


def candidate_counts(
    contracts: Sequence[AnalysedContract],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    thresholds: StrategyThresholds = THRESHOLDS,
) -> dict[str, int]:
    """How many candidates each strategy has on `contracts` (see the module docstring)."""
    return signal_counts(
        candidate_expirations(contracts, spot=spot, today=today, thresholds=thresholds),
        today=today,
        earnings_date=earnings_date,
        earnings_known=earnings_known,
    )
