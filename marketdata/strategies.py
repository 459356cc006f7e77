"""Strategy signals from an analysed option chain: CSP, covered call, LEAPS and PMCC candidates.

Pure computation (no Django): takes `analyze_contract()` dicts, `spot`, `today` and the
thresholds dict (`settings.STRATEGY_THRESHOLDS`) and returns ranked candidates per strategy.
Units: prices per share; `premium`, `net_debit` and `breakeven` per share; `capital` and
`max_profit` per position (x the contract multiplier); `*_pct` and `prob_otm` in percent.

Rules (thresholds named as in the settings dict):
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
- liquidity = 1 - spread_pct / max_spread_pct (10 % where the strategy sets none), floored at 0
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

STRATEGIES = ("csp", "covered_call", "leaps", "pmcc")

DAYS_PER_YEAR = 365
YIELD_CAP_PCT = 50.0
EXTRINSIC_CAP_PCT = 20.0
DEFAULT_MAX_SPREAD_PCT = 10.0
DEFAULT_MAX_CANDIDATES = 5

EARNINGS_UNKNOWN = "earnings date unknown"
NO_QUOTE_SPREAD_SKIPPED = "no bid/ask quote: spread rule skipped; price is the day close"
NO_QUOTE = "no bid/ask quote: price is the day close"
OPEN_INTEREST_UNKNOWN = "open interest unknown: open-interest rule skipped"
GREEKS_COMPUTED = "greeks computed by Black-Scholes (the provider sent none)"


@dataclass(frozen=True, slots=True)
class _Option:
    """The fields of one analysed contract the rules read, parsed once."""

    raw: Mapping[str, Any]
    ticker: str
    contract_type: str
    strike: float
    expiration: date
    dte: int
    price: float
    price_source: str
    delta: float | None
    spread_pct: float | None
    quote_missing: bool
    open_interest: int | None
    extrinsic: float | None
    multiplier: int

    @property
    def abs_delta(self) -> float | None:
        return None if self.delta is None else abs(self.delta)


def _parse(contract: Mapping[str, Any], today: date) -> _Option | None:
    """Return the contract's rule fields, or None when it has no positive price."""
    price = contract.get("price")
    if price is None or not math.isfinite(price) or price <= 0:
        return None
    expiration = contract["expiration"]
    if isinstance(expiration, str):
        expiration = date.fromisoformat(expiration)
    delta = contract.get("delta")
    if delta is not None and not math.isfinite(delta):
        delta = None
    return _Option(
        raw=contract,
        ticker=contract["option_ticker"],
        contract_type=contract["contract_type"],
        strike=float(contract["strike"]),
        expiration=expiration,
        dte=(expiration - today).days,
        price=float(price),
        price_source=contract.get("price_source", "none"),
        delta=delta,
        spread_pct=contract.get("spread_pct"),
        quote_missing=contract.get("bid") is None and contract.get("ask") is None,
        open_interest=contract.get("open_interest"),
        extrinsic=contract.get("extrinsic"),
        multiplier=int(contract.get("multiplier") or 100),
    )


@dataclass(frozen=True, slots=True)
class _Context:
    spot: float
    today: date
    earnings_date: date | None  # the next one (None when unknown, none scheduled or past)
    earnings_known: bool
    include_earnings: bool
    shares_held: float
    iv_rank: float | None


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _score(components: Iterable[tuple[float, float | None]]) -> float:
    """Return 100 x the weighted mean of the known components, rounded to 0.01."""
    known = [(weight, value) for weight, value in components if value is not None]
    total = math.fsum(weight for weight, _ in known)
    if total == 0:
        return 0.0
    return round(100.0 * math.fsum(weight * _clip(value) for weight, value in known) / total, 2)


def _delta_fit(abs_delta: float, target: float, low: float, high: float) -> float:
    half_width = max(target - low, high - target)
    return _clip(1.0 - abs(abs_delta - target) / half_width) if half_width > 0 else 1.0


def _liquidity(option: _Option, max_spread_pct: float) -> float | None:
    if option.spread_pct is None or max_spread_pct <= 0:
        return None
    return _clip(1.0 - option.spread_pct / max_spread_pct)


def _extrinsic_pct(option: _Option) -> float | None:
    if option.extrinsic is None:
        return None
    return 100.0 * option.extrinsic / option.price


def _extrinsic_component(option: _Option) -> float | None:
    pct = _extrinsic_pct(option)
    return None if pct is None else _clip(1.0 - pct / EXTRINSIC_CAP_PCT)


def _annualised(return_pct: float, dte: int) -> float | None:
    return return_pct * DAYS_PER_YEAR / dte if dte > 0 else None


def _leg(option: _Option, side: str) -> dict[str, Any]:
    return {
        "option_ticker": option.ticker,
        "side": side,
        "contract_type": option.contract_type,
        "strike": option.strike,
        "expiration": option.expiration.isoformat(),
        "dte": option.dte,
        "price": option.price,
        "price_source": option.price_source,
        "delta": option.delta,
        "greeks_source": option.raw.get("greeks_source"),
    }


def _in_window(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def _short_leg_allowed(option: _Option, ctx: _Context, reasons: list[str], warnings: list[str]) -> bool:
    """Apply the earnings rule to a short leg; add what it decided to reasons or warnings."""
    if ctx.earnings_date is None:
        return True
    if option.expiration < ctx.earnings_date:
        reasons.append(f"expires before earnings on {ctx.earnings_date.isoformat()}")
        return True
    if not ctx.include_earnings:
        return False
    warnings.append(
        f"short leg expires on or after earnings on {ctx.earnings_date.isoformat()} (included on request)"
    )
    return True


def _common_warnings(options: Sequence[_Option], ctx: _Context, warnings: list[str]) -> None:
    if not ctx.earnings_known:
        warnings.append(EARNINGS_UNKNOWN)
    if any(o.raw.get("greeks_source") == "computed" for o in options):
        warnings.append(GREEKS_COMPUTED)


def _liquidity_rules(
    option: _Option, rules: Mapping[str, Any], reasons: list[str], warnings: list[str]
) -> bool:
    """Apply the open-interest and spread rules; skip (with a warning) what cannot be known."""
    min_oi = rules["min_open_interest"]
    if option.open_interest is None:
        warnings.append(OPEN_INTEREST_UNKNOWN)
    elif option.open_interest < min_oi:
        return False
    else:
        reasons.append(f"open interest {option.open_interest:,} >= {min_oi:,}")
    max_spread = rules["max_spread_pct"]
    if option.quote_missing:
        warnings.append(NO_QUOTE_SPREAD_SKIPPED)
    elif option.spread_pct is None or option.spread_pct > max_spread:
        return False  # one-sided or too wide
    else:
        reasons.append(f"spread {option.spread_pct:.1f}% of mid <= {max_spread:g}%")
    return True


def _short_premium(
    options: Sequence[_Option], ctx: _Context, rules: Mapping[str, Any], *, strategy: str
) -> list[dict[str, Any]]:
    """Return CSP (puts) or covered call (calls) candidates."""
    contract_type = "put" if strategy == "csp" else "call"
    low, high, target = rules["min_abs_delta"], rules["max_abs_delta"], rules["target_abs_delta"]
    candidates = []
    for option in options:
        abs_delta = option.abs_delta
        if (
            option.contract_type != contract_type
            or abs_delta is None
            or not _in_window(option.dte, rules["min_dte"], rules["max_dte"])
            or not _in_window(abs_delta, low, high)
        ):
            continue
        reasons = [
            f"|delta| {abs_delta:.2f} within {low:g}-{high:g} (target {target:g})",
            f"{option.dte} DTE within {rules['min_dte']}-{rules['max_dte']}",
        ]
        warnings: list[str] = []
        if not _liquidity_rules(option, rules, reasons, warnings):
            continue
        if not _short_leg_allowed(option, ctx, reasons, warnings):
            continue
        _common_warnings([option], ctx, warnings)

        premium = option.price
        multiplier = option.multiplier
        candidate: dict[str, Any] = {"strategy": strategy, "legs": [_leg(option, "sell")], "premium": premium}
        if strategy == "csp":
            basis = option.strike
            candidate |= {"breakeven": option.strike - premium, "max_profit": premium * multiplier}
        else:
            basis = ctx.spot
            candidate |= {
                "breakeven": ctx.spot - premium,
                "max_profit": (option.strike - ctx.spot + premium) * multiplier,
            }
            covered = ctx.shares_held >= multiplier
            candidate["shares_covered"] = covered
            if covered:
                contracts = int(ctx.shares_held // multiplier)
                reasons.append(f"you hold {ctx.shares_held:g} shares: enough for {contracts} contract(s)")
            else:
                warnings.append(
                    f"you hold {ctx.shares_held:g} shares: a covered call needs {multiplier} per contract"
                )
        return_pct = 100.0 * premium / basis if basis > 0 else None
        annualised = None if return_pct is None else _annualised(return_pct, option.dte)
        if annualised is not None:
            reasons.append(f"annualised return {annualised:.1f}%")
        iv_component = None
        if ctx.iv_rank is not None:
            iv_component = ctx.iv_rank / 100.0
            reasons.append(f"IV rank {ctx.iv_rank:.0f}")
        candidate |= {
            "capital": basis * multiplier,
            "return_pct": return_pct,
            "annualised_return_pct": annualised,
            "prob_otm": 100.0 * (1.0 - abs_delta),
            "score": _score(
                [
                    (0.4, _delta_fit(abs_delta, target, low, high)),
                    (0.3, None if annualised is None else annualised / YIELD_CAP_PCT),
                    (0.2, _liquidity(option, rules["max_spread_pct"])),
                    (0.1, iv_component),
                ]
            ),
            "reasons": reasons,
            "warnings": warnings,
        }
        candidates.append(candidate)
    return candidates


def _leaps(options: Sequence[_Option], ctx: _Context, rules: Mapping[str, Any]) -> list[dict[str, Any]]:
    low, high, target = rules["min_abs_delta"], rules["max_abs_delta"], rules["target_abs_delta"]
    max_spread = rules.get("max_spread_pct", DEFAULT_MAX_SPREAD_PCT)
    candidates = []
    for option in options:
        if (
            option.contract_type != "call"
            or option.delta is None
            or not _in_window(option.dte, rules["min_dte"], rules["max_dte"])
            or not _in_window(option.delta, low, high)
        ):
            continue
        reasons = [
            f"delta {option.delta:.2f} within {low:g}-{high:g} (target {target:g})",
            f"{option.dte} DTE within {rules['min_dte']}-{rules['max_dte']}",
        ]
        warnings: list[str] = []
        _common_warnings([option], ctx, warnings)
        if option.quote_missing:
            warnings.append(NO_QUOTE)
        extrinsic_pct = _extrinsic_pct(option)
        if extrinsic_pct is not None:
            reasons.append(f"extrinsic value {extrinsic_pct:.1f}% of price")
        iv_component = None
        if ctx.iv_rank is not None:
            iv_component = 1.0 - ctx.iv_rank / 100.0
            reasons.append(f"IV rank {ctx.iv_rank:.0f}")
        candidates.append(
            {
                "strategy": "leaps",
                "legs": [_leg(option, "buy")],
                "net_debit": option.price,
                "breakeven": option.strike + option.price,
                "max_profit": None,
                "capital": option.price * option.multiplier,
                "return_pct": None,
                "annualised_return_pct": None,
                "prob_otm": 100.0 * (1.0 - option.delta),
                "extrinsic_pct": extrinsic_pct,
                "score": _score(
                    [
                        (0.4, _delta_fit(option.delta, target, low, high)),
                        (0.3, _extrinsic_component(option)),
                        (0.2, _liquidity(option, max_spread)),
                        (0.1, iv_component),
                    ]
                ),
                "reasons": reasons,
                "warnings": warnings,
            }
        )
    return candidates


@dataclass(frozen=True, slots=True)
class _PmccPair:
    """A PMCC pair that passed every rule, scored but not yet rendered."""

    long: _Option
    short: _Option
    short_reasons: list[str]
    short_warnings: list[str]
    net_debit: float
    return_pct: float
    annualised: float | None
    score: float

    def rank_key(self) -> tuple[float, float, tuple[str, str]]:
        annualised = self.annualised if self.annualised is not None else -math.inf
        return (-self.score, -annualised, (self.long.ticker, self.short.ticker))


def _pmcc_pairs(options: Sequence[_Option], ctx: _Context, rules: Mapping[str, Any]) -> list[_PmccPair]:
    """Every long/short pair that passes the PMCC rules, scored (cheap: no text yet)."""
    short_low, short_high = rules["short_min_delta"], rules["short_max_delta"]
    short_target = rules.get("short_target_delta", (short_low + short_high) / 2.0)
    max_spread = rules.get("max_spread_pct", DEFAULT_MAX_SPREAD_PCT)
    calls = [o for o in options if o.contract_type == "call" and o.delta is not None]
    longs = [
        o
        for o in calls
        if _in_window(o.dte, rules["long_min_dte"], rules["long_max_dte"])
        and o.delta is not None
        and o.delta >= rules["long_min_delta"]
    ]
    shorts = []
    for option in calls:
        if not (
            option.delta is not None
            and _in_window(option.dte, rules["short_min_dte"], rules["short_max_dte"])
            and _in_window(option.delta, short_low, short_high)
        ):
            continue
        reasons: list[str] = []
        warnings: list[str] = []
        if _short_leg_allowed(option, ctx, reasons, warnings):
            shorts.append((option, reasons, warnings, _liquidity(option, max_spread)))

    pairs = []
    for long in longs:
        long_liquidity = _liquidity(long, max_spread)
        long_extrinsic = _extrinsic_component(long)
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
            annualised = _annualised(return_pct, short.dte)
            liquidity = [v for v in (long_liquidity, short_liquidity) if v is not None]
            score = _score(
                [
                    (0.25, _delta_fit(short.delta, short_target, short_low, short_high)),
                    (0.35, None if annualised is None else annualised / YIELD_CAP_PCT),
                    (0.2, long_extrinsic),
                    (0.2, sum(liquidity) / len(liquidity) if liquidity else None),
                ]
            )
            pairs.append(
                _PmccPair(
                    long, short, short_reasons, short_warnings, net_debit, return_pct, annualised, score
                )
            )
    return pairs


def _pmcc(
    options: Sequence[_Option], ctx: _Context, rules: Mapping[str, Any], limit: int | None = None
) -> list[dict[str, Any]]:
    """The best `limit` PMCC pairs as candidates (texts are built only for those)."""
    short_low, short_high = rules["short_min_delta"], rules["short_max_delta"]
    pairs = sorted(_pmcc_pairs(options, ctx, rules), key=_PmccPair.rank_key)
    candidates = []
    for pair in pairs if limit is None else pairs[:limit]:
        long, short, net_debit = pair.long, pair.short, pair.net_debit
        assert long.delta is not None and short.delta is not None
        reasons = [
            f"long delta {long.delta:.2f} >= {rules['long_min_delta']:g}, {long.dte} DTE",
            f"short delta {short.delta:.2f} within {short_low:g}-{short_high:g}, {short.dte} DTE",
            f"long strike + net debit {long.strike + net_debit:.2f} < short strike {short.strike:g}",
            *pair.short_reasons,
        ]
        warnings = list(pair.short_warnings)
        _common_warnings([long, short], ctx, warnings)
        if long.quote_missing or short.quote_missing:
            warnings.append(NO_QUOTE)
        multiplier = long.multiplier
        candidates.append(
            {
                "strategy": "pmcc",
                "legs": [_leg(long, "buy"), _leg(short, "sell")],
                "premium": short.price,
                "net_debit": net_debit,
                "breakeven": long.strike + net_debit,
                # At the short expiry with the long leg worth only its intrinsic value: a floor.
                "max_profit": (short.strike - long.strike - net_debit) * multiplier,
                "capital": net_debit * multiplier,
                "return_pct": pair.return_pct,
                "annualised_return_pct": pair.annualised,
                "prob_otm": 100.0 * (1.0 - abs(short.delta)),
                "extrinsic_pct": _extrinsic_pct(long),
                "score": pair.score,
                "reasons": reasons,
                "warnings": warnings,
            }
        )
    return candidates


def _rank(candidates: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    def key(candidate: dict[str, Any]) -> tuple[float, float, tuple[str, ...]]:
        annualised = candidate.get("annualised_return_pct")
        return (
            -candidate["score"],
            -(annualised if annualised is not None else -math.inf),
            tuple(leg["option_ticker"] for leg in candidate["legs"]),
        )

    return sorted(candidates, key=key)[:limit]


def _prepare(
    contracts: Sequence[Mapping[str, Any]],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    include_earnings: bool,
    shares_held: float,
    iv_rank: float | None,
) -> tuple[list[_Option], _Context]:
    next_earnings = earnings_date if earnings_known and earnings_date and earnings_date >= today else None
    ctx = _Context(
        spot=spot,
        today=today,
        earnings_date=next_earnings,
        earnings_known=earnings_known,
        include_earnings=include_earnings,
        shares_held=shares_held,
        iv_rank=iv_rank,
    )
    return [o for o in (_parse(c, today) for c in contracts) if o is not None], ctx


def candidate_counts(
    contracts: Sequence[Mapping[str, Any]],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    thresholds: Mapping[str, Any],
) -> dict[str, int]:
    """How many candidates each strategy has, uncapped (what a dashboard shows).

    Cheaper than `generate_signals`: PMCC pairs are counted, not rendered. Earnings exclusion
    applies as by default; holdings do not change what qualifies.
    """
    options, ctx = _prepare(
        contracts,
        spot=spot,
        today=today,
        earnings_date=earnings_date,
        earnings_known=earnings_known,
        include_earnings=False,
        shares_held=0,
        iv_rank=None,
    )
    return {
        "csp": len(_short_premium(options, ctx, thresholds["csp"], strategy="csp")),
        "covered_call": len(
            _short_premium(options, ctx, thresholds["covered_call"], strategy="covered_call")
        ),
        "leaps": len(_leaps(options, ctx, thresholds["leaps"])),
        "pmcc": len(_pmcc_pairs(options, ctx, thresholds["pmcc"])),
    }


def generate_signals(
    contracts: Sequence[Mapping[str, Any]],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    include_earnings: bool,
    shares_held: float,
    thresholds: Mapping[str, Any],
    strategies: Iterable[str] = STRATEGIES,
    iv_rank: float | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Return the ranked candidates of each requested strategy (see the module docstring).

    `contracts` are `analyze_contract()` dicts (DTE is recomputed from `today`);
    `earnings_known` False means the next earnings date could not be learnt; an
    `earnings_date` before `today` is not the next one and is ignored. At most
    `thresholds["max_candidates"]` (default 5) candidates per strategy.
    """
    requested = list(strategies)
    unknown = sorted(set(requested) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown strategies: {', '.join(unknown)}")
    options, ctx = _prepare(
        contracts,
        spot=spot,
        today=today,
        earnings_date=earnings_date,
        earnings_known=earnings_known,
        include_earnings=include_earnings,
        shares_held=shares_held,
        iv_rank=iv_rank,
    )
    limit = int(thresholds.get("max_candidates", DEFAULT_MAX_CANDIDATES))
    builders: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "csp": lambda: _short_premium(options, ctx, thresholds["csp"], strategy="csp"),
        "covered_call": lambda: _short_premium(
            options, ctx, thresholds["covered_call"], strategy="covered_call"
        ),
        "leaps": lambda: _leaps(options, ctx, thresholds["leaps"]),
        "pmcc": lambda: _pmcc(options, ctx, thresholds["pmcc"], limit),
    }
    return {name: _rank(builders[name](), limit) for name in requested}


def signal_counts(signals: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Return the number of candidates per strategy (what the dashboard shows)."""
    return {name: len(candidates) for name, candidates in signals.items()}
