"""LEAPS: long-dated calls bought deep in the money."""

from __future__ import annotations

from collections.abc import Sequence

from marketdata.strategies import rulebook
from marketdata.strategies.thresholds import LeapsRules


def leaps(
    options: Sequence[rulebook.Option], ctx: rulebook.Context, rules: LeapsRules
) -> list[rulebook.Candidate]:
    low, high, target = rules.min_abs_delta, rules.max_abs_delta, rules.target_abs_delta
    max_spread = rules.max_spread_pct
    candidates: list[rulebook.Candidate] = []
    for option in options:
        if (
            option.contract_type != "call"
            or option.delta is None
            or not rulebook.in_window(option.dte, rules.min_dte, rules.max_dte)
            or not rulebook.in_window(option.delta, low, high)
        ):
            continue
        reasons = [
            f"delta {option.delta:.2f} within {low:g}-{high:g} (target {target:g})",
            f"{option.dte} DTE within {rules.min_dte}-{rules.max_dte}",
        ]
        warnings: list[str] = []
        rulebook.common_warnings([option], ctx, warnings)
        if option.quote_missing:
            warnings.append(rulebook.NO_QUOTE)
        extrinsic_pct = rulebook.extrinsic_pct(option)
        if extrinsic_pct is not None:
            reasons.append(f"extrinsic value {extrinsic_pct:.1f}% of price")
        iv_component = rulebook.iv_rank_component(ctx, reasons, seller=False)
        candidates.append(
            {
                "strategy": "leaps",
                "legs": [rulebook.leg(option, "buy")],
                "net_debit": option.price,
                "breakeven": option.strike + option.price,
                "max_profit": None,
                "capital": option.price * option.multiplier,
                "return_pct": None,
                "annualised_return_pct": None,
                "prob_otm": 100.0 * (1.0 - option.delta),
                "extrinsic_pct": extrinsic_pct,
                "score": rulebook.score(
                    [
                        (0.4, rulebook.delta_fit(option.delta, target, low, high)),
                        (0.3, rulebook.extrinsic_component(option)),
                        (0.2, rulebook.liquidity(option, max_spread)),
                        (0.1, iv_component),
                    ]
                ),
                "reasons": reasons,
                "warnings": warnings,
            }
        )
    return candidates
