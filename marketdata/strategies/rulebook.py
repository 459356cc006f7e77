"""The pieces every strategy's rules are built from: the contract fields they read, the
context of one request, the score components, and the shared rules (liquidity, earnings).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal, NotRequired, TypedDict

from typing_extensions import Doc

from core.shapes import IsoDate
from marketdata.domain import ContractType
from marketdata.option_analytics import AnalysedContract, GreeksSource, PriceSource
from marketdata.strategies.thresholds import ShortPremiumRules

StrategyName = Literal["csp", "covered_call", "leaps", "pmcc"]
STRATEGIES: tuple[StrategyName, ...] = ("csp", "covered_call", "leaps", "pmcc")
Side = Literal["buy", "sell"]


class Leg(TypedDict):
    """One contract of a candidate, bought or sold."""

    option_ticker: str
    side: Side
    contract_type: ContractType
    strike: float
    expiration: IsoDate
    dte: int
    price: Annotated[float, Doc("Per share, by mid > bid > ask > close.")]
    price_source: PriceSource
    delta: float | None
    greeks_source: GreeksSource | None


class Candidate(TypedDict):
    """One ranked trade of a strategy; prices per share, `capital` and `max_profit` per position."""

    strategy: StrategyName
    legs: list[Leg]
    premium: NotRequired[Annotated[float, Doc("The short leg's price (CSP, covered call, PMCC).")]]
    net_debit: NotRequired[Annotated[float, Doc("What the position costs net (LEAPS, PMCC).")]]
    breakeven: float
    max_profit: Annotated[float | None, Doc("Per position; null when unlimited (LEAPS).")]
    shares_covered: NotRequired[Annotated[bool, Doc("Covered call: the shares held cover a contract.")]]
    capital: Annotated[float, Doc("Per position: strike, spot or net debit x multiplier.")]
    return_pct: float | None
    annualised_return_pct: float | None
    prob_otm: Annotated[float, Doc("Percent: 100 x (1 - |delta|) of the short leg (LEAPS: the leg).")]
    extrinsic_pct: NotRequired[
        Annotated[float | None, Doc("The long leg's extrinsic value, percent of its price (LEAPS, PMCC).")]
    ]
    score: Annotated[float, Doc("0-100, higher is better.")]
    reasons: list[str]
    warnings: list[str]


DAYS_PER_YEAR = 365


YIELD_CAP_PCT = 50.0


EXTRINSIC_CAP_PCT = 20.0


EARNINGS_UNKNOWN = "earnings date unknown"


NO_QUOTE_SPREAD_SKIPPED = "no bid/ask quote: spread rule skipped; price is the day close"


NO_QUOTE = "no bid/ask quote: price is the day close"


OPEN_INTEREST_UNKNOWN = "open interest unknown: open-interest rule skipped"


GREEKS_COMPUTED = "greeks computed by Black-Scholes (the provider sent none)"


@dataclass(frozen=True, slots=True)
class Option:
    """The fields of one analysed contract the rules read, parsed once."""

    contract: AnalysedContract
    ticker: str
    contract_type: ContractType
    strike: float
    expiration: date
    dte: int
    price: float
    price_source: PriceSource
    delta: float | None
    spread_pct: float | None
    quote_missing: bool
    open_interest: int | None
    extrinsic: float | None
    multiplier: int

    @property
    def abs_delta(self) -> float | None:
        return None if self.delta is None else abs(self.delta)


def parse_option(contract: AnalysedContract, today: date) -> Option | None:
    """Return the contract's rule fields, or None when it has no positive price."""
    price = contract.price
    if price is None or not math.isfinite(price) or price <= 0:
        return None
    delta = contract.delta
    if delta is not None and not math.isfinite(delta):
        delta = None
    return Option(
        contract=contract,
        ticker=contract.option_ticker,
        contract_type=contract.contract_type,
        strike=float(contract.strike),
        expiration=contract.expiration,
        dte=(contract.expiration - today).days,
        price=float(price),
        price_source=contract.price_source,
        delta=delta,
        spread_pct=contract.spread_pct,
        quote_missing=contract.bid is None and contract.ask is None,
        open_interest=contract.open_interest,
        extrinsic=contract.extrinsic,
        multiplier=int(contract.multiplier or 100),
    )


@dataclass(frozen=True, slots=True)
class Context:
    spot: float
    today: date
    earnings_date: date | None  # the next one (None when unknown, none scheduled or past)
    earnings_known: bool
    include_earnings: bool
    shares_held: float
    iv_rank: float | None


def prepare(
    contracts: Sequence[AnalysedContract],
    *,
    spot: float,
    today: date,
    earnings_date: date | None,
    earnings_known: bool,
    include_earnings: bool,
    shares_held: float,
    iv_rank: float | None,
) -> tuple[list[Option], Context]:
    """The contracts' rule fields (those with a price) and the request's context."""
    ctx = Context(
        spot=spot,
        today=today,
        earnings_date=next_earnings(today, earnings_date, earnings_known=earnings_known),
        earnings_known=earnings_known,
        include_earnings=include_earnings,
        shares_held=shares_held,
        iv_rank=iv_rank,
    )
    return [o for o in (parse_option(c, today) for c in contracts) if o is not None], ctx


def next_earnings(today: date, earnings_date: date | None, *, earnings_known: bool) -> date | None:
    """The earnings date the rules respect: a known one, today or later (None otherwise)."""
    return earnings_date if earnings_known and earnings_date and earnings_date >= today else None


def before_earnings(expiration: date, earnings_date: date | None) -> bool:
    """The earnings rule's test: a short leg expiring before the next earnings (or with none)."""
    return earnings_date is None or expiration < earnings_date


def clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def score(components: Iterable[tuple[float, float | None]]) -> float:
    """Return 100 x the weighted mean of the known components, rounded to 0.01."""
    known = [(weight, value) for weight, value in components if value is not None]
    total = math.fsum(weight for weight, _ in known)
    if total == 0:
        return 0.0
    return round(100.0 * math.fsum(weight * clip(value) for weight, value in known) / total, 2)


def delta_fit(abs_delta: float, target: float, low: float, high: float) -> float:
    half_width = max(target - low, high - target)
    return clip(1.0 - abs(abs_delta - target) / half_width) if half_width > 0 else 1.0


def liquidity(option: Option, max_spread_pct: float) -> float | None:
    if option.spread_pct is None or max_spread_pct <= 0:
        return None
    return clip(1.0 - option.spread_pct / max_spread_pct)


def extrinsic_pct(option: Option) -> float | None:
    if option.extrinsic is None:
        return None
    return 100.0 * option.extrinsic / option.price


def extrinsic_component(option: Option) -> float | None:
    pct = extrinsic_pct(option)
    return None if pct is None else clip(1.0 - pct / EXTRINSIC_CAP_PCT)


def annualised(return_pct: float, dte: int) -> float | None:
    return return_pct * DAYS_PER_YEAR / dte if dte > 0 else None


def leg(option: Option, side: Side) -> Leg:
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
        "greeks_source": option.contract.greeks_source,
    }


def in_window(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def short_leg_allowed(option: Option, ctx: Context, reasons: list[str], warnings: list[str]) -> bool:
    """Apply the earnings rule to a short leg; add what it decided to reasons or warnings."""
    if ctx.earnings_date is None:
        return True
    if before_earnings(option.expiration, ctx.earnings_date):
        reasons.append(f"expires before earnings on {ctx.earnings_date.isoformat()}")
        return True
    if not ctx.include_earnings:
        return False
    warnings.append(
        f"short leg expires on or after earnings on {ctx.earnings_date.isoformat()} (included on request)"
    )
    return True


def common_warnings(options: Sequence[Option], ctx: Context, warnings: list[str]) -> None:
    if not ctx.earnings_known:
        warnings.append(EARNINGS_UNKNOWN)
    if any(o.contract.greeks_source == "computed" for o in options):
        warnings.append(GREEKS_COMPUTED)


def liquidity_rules(
    option: Option, rules: ShortPremiumRules, reasons: list[str], warnings: list[str]
) -> bool:
    """Apply the open-interest and spread rules; skip (with a warning) what cannot be known."""
    min_oi = rules.min_open_interest
    if option.open_interest is None:
        warnings.append(OPEN_INTEREST_UNKNOWN)
    elif option.open_interest < min_oi:
        return False
    else:
        reasons.append(f"open interest {option.open_interest:,} >= {min_oi:,}")
    max_spread = rules.max_spread_pct
    if option.quote_missing:
        warnings.append(NO_QUOTE_SPREAD_SKIPPED)
    elif option.spread_pct is None or option.spread_pct > max_spread:
        return False  # one-sided or too wide
    else:
        reasons.append(f"spread {option.spread_pct:.1f}% of mid <= {max_spread:g}%")
    return True


def iv_rank_component(ctx: Context, reasons: list[str], *, seller: bool) -> float | None:
    """The IV score component (high IV rank suits a seller, low a buyer); says the rank."""
    if ctx.iv_rank is None:
        return None
    reasons.append(f"IV rank {ctx.iv_rank:.0f}")
    return ctx.iv_rank / 100.0 if seller else 1.0 - ctx.iv_rank / 100.0
