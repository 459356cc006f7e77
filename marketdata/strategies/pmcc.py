"""Poor man's covered calls: a long LEAPS call with a short near-term call against it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from marketdata.strategies import rulebook
from marketdata.strategies.thresholds import PmccRules


@dataclass(frozen=True, slots=True)
class PmccPair:
    """A PMCC pair that passed every rule, scored but not yet rendered."""

    long: rulebook.Option
    short: rulebook.Option
    short_reasons: list[str]
    short_warnings: list[str]
    net_debit: float
    return_pct: float
    annualised: float | None
    score: float

    def rank_key(self) -> tuple[float, float, tuple[str, str]]:
        annualised = self.annualised if self.annualised is not None else -math.inf
        return (-self.score, -annualised, (self.long.ticker, self.short.ticker))


def pmcc_pairs(options: Sequence[rulebook.Option], ctx: rulebook.Context, rules: PmccRules) -> list[PmccPair]:
    """Every long/short pair that passes the PMCC rules, scored (cheap: no text yet)."""
    short_low, short_high = rules.short_min_delta, rules.short_max_delta
    short_target = rules.short_target
    max_spread = rules.max_spread_pct
    calls = [o for o in options if o.contract_type == "call" and o.delta is not None]
    longs = [
        o
        for o in calls
        if rulebook.in_window(o.dte, rules.long_min_dte, rules.long_max_dte)
        and o.delta is not None
        and o.delta >= rules.long_min_delta
    ]
    shorts = []
    for option in calls:
        if not (
            option.delta is not None
            and rulebook.in_window(option.dte, rules.short_min_dte, rules.short_max_dte)
            and rulebook.in_window(option.delta, short_low, short_high)
        ):
            continue
        reasons: list[str] = []
        warnings: list[str] = []
        if rulebook.short_leg_allowed(option, ctx, reasons, warnings):
            shorts.append((option, reasons, warnings, rulebook.liquidity(option, max_spread)))

    pairs = []
    for long in longs:
        long_liquidity = rulebook.liquidity(long, max_spread)
        long_extrinsic = rulebook.extrinsic_component(long)
        for short, short_reasons, short_warnings, short_liquidity in shorts:
            net_debit = long.price - short.price
            if (
                short.strike <= long.strike
                or short.expiration >= long.expiration
                or short.multiplier != long.multiplier
                or net_debit <= 0
                or long.strike + net_debit >= short.strike  # early assignment would lose money
            ):
                continue
            assert short.delta is not None
            return_pct = 100.0 * short.price / net_debit
            annualised = rulebook.annualised(return_pct, short.dte)
            liquidity = [v for v in (long_liquidity, short_liquidity) if v is not None]
            score = rulebook.score(
                [
                    (0.25, rulebook.delta_fit(short.delta, short_target, short_low, short_high)),
                    (0.35, None if annualised is None else annualised / rulebook.YIELD_CAP_PCT),
                    (0.2, long_extrinsic),
                    (0.2, sum(liquidity) / len(liquidity) if liquidity else None),
                ]
            )
            pairs.append(
                PmccPair(long, short, short_reasons, short_warnings, net_debit, return_pct, annualised, score)
            )
    return pairs


def pmcc(
    options: Sequence[rulebook.Option],
    ctx: rulebook.Context,
    rules: PmccRules,
    limit: int | None = None,
) -> list[rulebook.Candidate]:
    """The best `limit` PMCC pairs as candidates (texts are built only for those)."""
    short_low, short_high = rules.short_min_delta, rules.short_max_delta
    pairs = sorted(pmcc_pairs(options, ctx, rules), key=PmccPair.rank_key)
    candidates: list[rulebook.Candidate] = []
    for pair in pairs if limit is None else pairs[:limit]:
        long, short, net_debit = pair.long, pair.short, pair.net_debit
        assert long.delta is not None and short.delta is not None
        reasons = [
            f"long delta {long.delta:.2f} >= {rules.long_min_delta:g}, {long.dte} DTE",
            f"short delta {short.delta:.2f} within {short_low:g}-{short_high:g}, {short.dte} DTE",
            f"long strike + net debit {long.strike + net_debit:.2f} < short strike {short.strike:g}",
            *pair.short_reasons,
        ]
        warnings = list(pair.short_warnings)
        rulebook.common_warnings([long, short], ctx, warnings)
        if long.quote_missing or short.quote_missing:
            warnings.append(rulebook.NO_QUOTE)
        multiplier = long.multiplier
        candidates.append(
            {
                "strategy": "pmcc",
                "legs": [rulebook.leg(long, "buy"), rulebook.leg(short, "sell")],
                "premium": short.price,
                "net_debit": net_debit,
                "breakeven": long.strike + net_debit,
                # At the short expiry with the long leg worth only its intrinsic value: a floor.
                "max_profit": (short.strike - long.strike - net_debit) * multiplier,
                "capital": net_debit * multiplier,
                "return_pct": pair.return_pct,
                "annualised_return_pct": pair.annualised,
                "prob_otm": 100.0 * (1.0 - abs(short.delta)),
                "extrinsic_pct": rulebook.extrinsic_pct(long),
                "score": pair.score,
                "reasons": reasons,
                "warnings": warnings,
            }
        )
    return candidates
