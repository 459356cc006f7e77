"""Cash-secured puts and covered calls: selling premium on one short leg."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from marketdata.strategies import rulebook
from marketdata.strategies.thresholds import ShortPremiumRules


def short_premium(
    options: Sequence[rulebook.Option],
    ctx: rulebook.Context,
    rules: ShortPremiumRules,
    *,
    strategy: Literal["csp", "covered_call"],
) -> list[rulebook.Candidate]:
    """Return CSP (puts) or covered call (calls) candidates."""
    contract_type = "put" if strategy == "csp" else "call"
    candidates: list[rulebook.Candidate] = []
    for option in options:
        abs_delta = _eligible_abs_delta(option, contract_type, rules)
        if abs_delta is not None:
            candidate = _candidate(option, abs_delta, ctx, rules, strategy=strategy)
            if candidate is not None:
                candidates.append(candidate)
    return candidates


def _candidate(
    option: rulebook.Option,
    abs_delta: float,
    ctx: rulebook.Context,
    rules: ShortPremiumRules,
    *,
    strategy: Literal["csp", "covered_call"],
) -> rulebook.Candidate | None:
    """The candidate of one eligible contract, or None when a liquidity or earnings rule fails."""
    low, high, target = rules.min_abs_delta, rules.max_abs_delta, rules.target_abs_delta
    reasons = [
        f"|delta| {abs_delta:.2f} within {low:g}-{high:g} (target {target:g})",
        f"{option.dte} DTE within {rules.min_dte}-{rules.max_dte}",
    ]
    warnings: list[str] = []
    if not rulebook.liquidity_rules(option, rules, reasons, warnings):
        return None
    if not rulebook.short_leg_allowed(option, ctx, reasons, warnings):
        return None
    rulebook.common_warnings([option], ctx, warnings)

    premium, multiplier = option.price, option.multiplier
    if strategy == "csp":
        basis, shares_covered = option.strike, None
    else:  # a covered call's breakeven and profit count from spot (the shares)
        basis, shares_covered = ctx.spot, _shares_cover(option, ctx, reasons, warnings)
    breakeven = basis - premium
    max_profit = (premium if strategy == "csp" else option.strike - ctx.spot + premium) * multiplier
    return_pct = 100.0 * premium / basis if basis > 0 else None
    annualised = None if return_pct is None else rulebook.annualised(return_pct, option.dte)
    if annualised is not None:
        reasons.append(f"annualised return {annualised:.1f}%")
    iv_component = rulebook.iv_rank_component(ctx, reasons, seller=True)
    candidate: rulebook.Candidate = {
        "strategy": strategy,
        "legs": [rulebook.leg(option, "sell")],
        "premium": premium,
        "breakeven": breakeven,
        "max_profit": max_profit,
        "capital": basis * multiplier,
        "return_pct": return_pct,
        "annualised_return_pct": annualised,
        "prob_otm": 100.0 * (1.0 - abs_delta),
        "score": rulebook.score(
            [
                (0.4, rulebook.delta_fit(abs_delta, target, low, high)),
                (0.3, None if annualised is None else annualised / rulebook.YIELD_CAP_PCT),
                (0.2, rulebook.liquidity(option, rules.max_spread_pct)),
                (0.1, iv_component),
            ]
        ),
        "reasons": reasons,
        "warnings": warnings,
    }
    if shares_covered is not None:
        candidate["shares_covered"] = shares_covered
    return candidate


def _eligible_abs_delta(
    option: rulebook.Option, contract_type: str, rules: ShortPremiumRules
) -> float | None:
    """|delta| of a contract of the strategy's type inside its DTE and delta windows, else None."""
    abs_delta = option.abs_delta
    if option.contract_type != contract_type or abs_delta is None:
        return None
    if not rulebook.in_window(option.dte, rules.min_dte, rules.max_dte):
        return None
    inside = rulebook.in_window(abs_delta, rules.min_abs_delta, rules.max_abs_delta)
    return abs_delta if inside else None


def _shares_cover(
    option: rulebook.Option, ctx: rulebook.Context, reasons: list[str], warnings: list[str]
) -> bool:
    """Whether the shares held cover a covered call's contract (said in reasons or warnings)."""
    multiplier = option.multiplier
    covered = ctx.shares_held >= multiplier
    if covered:
        contracts = int(ctx.shares_held // multiplier)
        reasons.append(f"you hold {ctx.shares_held:g} shares: enough for {contracts} contract(s)")
    else:
        warnings.append(
            f"you hold {ctx.shares_held:g} shares: a covered call needs {multiplier} per contract"
        )
    return covered
