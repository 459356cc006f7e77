"""The strategies' thresholds: typed, with the defaults mojo ships, built once.

CSP and covered calls share one rule shape (`ShortPremiumRules`); LEAPS and PMCC have their
own. `THRESHOLDS` is what the services use; tests and callers derive variants with
`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_SPREAD_PCT = 10.0


@dataclass(frozen=True, slots=True)
class ShortPremiumRules:
    """One short leg (CSP: puts, covered call: calls) sold for premium."""

    min_dte: int = 21
    max_dte: int = 60
    min_abs_delta: float = 0.15
    max_abs_delta: float = 0.35
    target_abs_delta: float = 0.30
    min_open_interest: int = 100
    max_spread_pct: float = DEFAULT_MAX_SPREAD_PCT


@dataclass(frozen=True, slots=True)
class LeapsRules:
    """A long-dated call bought deep in the money."""

    min_dte: int = 365
    max_dte: int = 900
    min_abs_delta: float = 0.70
    max_abs_delta: float = 0.90
    target_abs_delta: float = 0.80
    max_spread_pct: float = DEFAULT_MAX_SPREAD_PCT


@dataclass(frozen=True, slots=True)
class PmccRules:
    """A long LEAPS call with a short near-term call against it."""

    long_min_delta: float = 0.75
    long_min_dte: int = 365
    long_max_dte: int = 900
    short_min_dte: int = 21
    short_max_dte: int = 60
    short_min_delta: float = 0.20
    short_max_delta: float = 0.35
    short_target_delta: float | None = None  # None: the middle of the short delta window
    max_spread_pct: float = DEFAULT_MAX_SPREAD_PCT

    @property
    def short_target(self) -> float:
        """The short leg's target delta."""
        if self.short_target_delta is not None:
            return self.short_target_delta
        return (self.short_min_delta + self.short_max_delta) / 2.0


@dataclass(frozen=True, slots=True)
class StrategyThresholds:
    """Every strategy's rules, and how many ranked candidates each returns."""

    csp: ShortPremiumRules = field(default_factory=ShortPremiumRules)
    covered_call: ShortPremiumRules = field(default_factory=ShortPremiumRules)
    leaps: LeapsRules = field(default_factory=LeapsRules)
    pmcc: PmccRules = field(default_factory=PmccRules)
    max_candidates: int = 5


THRESHOLDS = StrategyThresholds()
