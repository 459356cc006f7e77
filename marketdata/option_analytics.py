"""Option analytics: the spec's price priority, per-contract and chain analytics.

Pure computation (no Django); `today` is passed in. Units: volatility is an annualised
fraction (0.35 = 35 %); theta per calendar day; vega per vol point; option prices per share;
DTE in calendar days (years = DTE / 365); every `*_pct` is a percent number (2.5 = 2.5 %).
The model for IV and greeks the provider did not send is `marketdata.american` (US equity
options are American; cash dividends are passed in); IV rank and percentile are
`marketdata.volatility`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, Protocol, TypedDict, cast

from typing_extensions import Doc

from core.shapes import IsoDate
from marketdata.american import american_greeks, american_implied, dividends_in_years
from marketdata.domain import ContractType, OptionSnapshot
from marketdata.pricing import BlackScholes

# --- Prices -----------------------------------------------------------------------------------

PriceSource = Literal["mid", "bid", "ask", "close", "none"]
GreeksSource = Literal["provider", "computed"]


def _positive(value: float | None) -> bool:
    return value is not None and value > 0 and math.isfinite(value)


def option_price(
    bid: float | None, ask: float | None, day_close: float | None
) -> tuple[float | None, PriceSource]:
    """Return (price per share, source) by the spec's priority: mid, bid, ask, day close.

    The mid needs both sides positive; a lone positive side is used as is; the day's close is
    the last resort. With none of them positive the price is (None, "none"), never 0.
    """
    if _positive(bid) and _positive(ask):
        assert bid is not None and ask is not None
        return (bid + ask) / 2.0, "mid"
    if _positive(bid):
        return bid, "bid"
    if _positive(ask):
        return ask, "ask"
    if _positive(day_close):
        return day_close, "close"
    return None, "none"


# --- Per-contract analytics -----------------------------------------------------------------------

ATM_BAND_PCT = 1.0  # a strike within 1 % of spot counts as at the money
DAYS_PER_YEAR = 365.0  # DTE is in calendar days


@dataclass(frozen=True, slots=True)
class AnalysedContract:
    """One contract's analytics, prices per share; `to_payload()` is its JSON form."""

    option_ticker: str
    contract_type: ContractType
    strike: float
    expiration: date
    dte: int
    bid: float | None
    ask: float | None
    mid: float | None
    price: float | None
    price_source: PriceSource
    spread_pct: float | None
    delta: float | None
    gamma: float | None
    theta: float | None
    vega: float | None
    greeks_source: GreeksSource | None
    iv: float | None
    iv_source: str | None  # "provider", "computed" or None
    open_interest: int | None
    volume: float | None
    moneyness: str | None  # "ATM", "ITM", "OTM"
    moneyness_pct: float | None
    intrinsic: float | None
    extrinsic: float | None
    multiplier: int

    def to_payload(self, names: Sequence[str] | None = None) -> dict[str, Any]:
        """The analytics as JSON (`names`, or every field), the expiration as an ISO date."""
        payload = {name: getattr(self, name) for name in (self.__slots__ if names is None else names)}
        if "expiration" in payload:
            payload["expiration"] = self.expiration.isoformat()
        return payload

    def result(self) -> OptionResult:
        """The contract as the options endpoint lists it."""
        return cast(OptionResult, self.to_payload(RESULT_FIELDS))


class ContractGreeks(TypedDict):
    """A contract's greeks and IV: the provider's, or computed by the American model."""

    delta: float | None
    gamma: float | None
    theta: Annotated[float | None, Doc("Per calendar day.")]
    vega: Annotated[float | None, Doc("Per vol point.")]
    greeks_source: GreeksSource | None
    iv: Annotated[float | None, Doc("Annualised fraction.")]


class _QuotedContract(TypedDict):
    option_ticker: str
    contract_type: ContractType
    strike: float
    expiration: IsoDate
    dte: int
    bid: float | None
    ask: float | None
    mid: float | None
    price: Annotated[float | None, Doc("Per share, by mid > bid > ask > close.")]
    price_source: PriceSource
    spread_pct: Annotated[float | None, Doc("Bid-ask spread, percent of mid.")]


class OptionResult(_QuotedContract, ContractGreeks):
    """One contract of the options endpoint."""

    open_interest: int | None
    volume: float | None


RESULT_FIELDS = tuple(OptionResult.__annotations__)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


Dividends = Sequence[tuple[date, float]]  # (ex-date, cash per share)
# What the model reads of a contract's market: spot, years to expiry, rate, today, dividends.
Market = tuple[float, float, float, date, Dividends]


def analyze_contract(
    contract: OptionSnapshot,
    *,
    spot: float,
    today: date,
    rate: float,
    atm_band_pct: float = ATM_BAND_PCT,
    dividends: Dividends = (),
) -> AnalysedContract:
    """Return one contract's analytics (prices per share).

    Greeks: the provider's when it sent a delta (`greeks_source: "provider"`); otherwise the
    American model's (cash `dividends` counted) from the provider's IV, or from the IV solved
    from the price (`"computed"`); otherwise None — never invented without an IV or a price.
    `iv_source` says where `iv` came from. `moneyness_pct` is 100 x (strike - spot) / spot; a
    strike within `atm_band_pct` of spot is ATM. `extrinsic` is price - intrinsic, floored at 0.
    """
    dte = (contract.expiration - today).days
    years = dte / DAYS_PER_YEAR
    bid, ask, mid, price, price_source, spread_pct = _quote(contract)
    usable_spot = spot > 0 and math.isfinite(spot)
    market = (spot, years, rate, today, dividends) if usable_spot and years > 0 else None
    iv, iv_source, at_iv = _contract_iv(contract, price=price, market=market)
    greeks, greeks_source = _contract_greeks(contract, iv=iv, at_iv=at_iv, market=market)
    moneyness: str | None = None
    moneyness_pct = intrinsic = extrinsic = None
    if usable_spot:
        moneyness, moneyness_pct, intrinsic = _moneyness(
            contract.contract_type, contract.strike, spot, atm_band_pct
        )
        if price is not None:
            extrinsic = max(price - intrinsic, 0.0)

    return AnalysedContract(
        option_ticker=contract.option_ticker,
        contract_type=contract.contract_type,
        strike=contract.strike,
        expiration=contract.expiration,
        dte=dte,
        bid=bid,
        ask=ask,
        mid=mid,
        price=price,
        price_source=price_source,
        spread_pct=spread_pct,
        delta=greeks[0],
        gamma=greeks[1],
        theta=greeks[2],
        vega=greeks[3],
        greeks_source=greeks_source,
        iv=iv,
        iv_source=iv_source,
        open_interest=contract.open_interest,
        volume=contract.day_volume,
        moneyness=moneyness,
        moneyness_pct=moneyness_pct,
        intrinsic=intrinsic,
        extrinsic=extrinsic,
        multiplier=contract.shares_per_contract,
    )


def _quote(
    contract: OptionSnapshot,
) -> tuple[float | None, float | None, float | None, float | None, PriceSource, float | None]:
    """Bid, ask, mid, the price by the spec's priority and its source, and the spread % of mid."""
    bid, ask = _finite(contract.bid), _finite(contract.ask)
    price, price_source = option_price(bid, ask, _finite(contract.day_close))
    mid = price if price_source == "mid" else None
    spread_pct = None
    if mid is not None and bid is not None and ask is not None:
        spread_pct = 100.0 * (ask - bid) / mid
    return bid, ask, mid, price, price_source, spread_pct


def _model_terms(contract: OptionSnapshot, market: Market) -> dict[str, Any]:
    """The American model's terms for the contract, dividends as (years until the ex-date, cash)."""
    spot, years, rate, today, dividends = market
    ahead = dividends_in_years(dividends, today=today, expiration=contract.expiration)
    kind, strike = contract.contract_type, contract.strike
    return dict(spot=spot, strike=strike, years=years, rate=rate, contract_type=kind, dividends=ahead)


def _contract_iv(
    contract: OptionSnapshot, *, price: float | None, market: Market | None
) -> tuple[float | None, str | None, BlackScholes | None]:
    """The IV, its source (the provider, else solved from the price) and the model's greeks at it."""
    iv = _finite(contract.implied_volatility)
    if iv is not None and iv > 0:
        return iv, "provider", None
    solved = american_implied(price=price, **_model_terms(contract, market)) if market else None
    return (solved[0], "computed", solved[1]) if solved is not None else (None, None, None)


Greeks = tuple[float | None, float | None, float | None, float | None]  # delta, gamma, theta, vega


def _contract_greeks(
    contract: OptionSnapshot, *, iv: float | None, at_iv: BlackScholes | None, market: Market | None
) -> tuple[Greeks, GreeksSource | None]:
    """The provider's greeks when it sent a delta, else the American model's at the IV, else none."""
    if _finite(contract.delta) is not None:
        provider = (contract.delta, _finite(contract.gamma), _finite(contract.theta), _finite(contract.vega))
        return provider, "provider"
    if iv is None or market is None:
        return (None, None, None, None), None
    computed = at_iv or american_greeks(volatility=iv, **_model_terms(contract, market))
    return (computed.delta, computed.gamma, computed.theta, computed.vega), "computed"


def _moneyness(
    contract_type: str, strike: float, spot: float, atm_band_pct: float
) -> tuple[str, float, float]:
    """ATM, ITM or OTM; the strike's distance from spot in percent; the intrinsic value."""
    moneyness_pct = 100.0 * (strike - spot) / spot
    intrinsic = max(spot - strike, 0.0) if contract_type == "call" else max(strike - spot, 0.0)
    if abs(moneyness_pct) <= atm_band_pct:
        return "ATM", moneyness_pct, intrinsic
    return ("ITM" if intrinsic > 0 else "OTM"), moneyness_pct, intrinsic


# --- Chain-level analytics ----------------------------------------------------------------------

ATM_IV_TARGET_DTE = 30


def _interpolated_iv(points: list[tuple[float, float]], spot: float) -> float | None:
    """Interpolate IV linearly in strike at `spot`; the nearest strike's IV outside the range."""
    if not points:
        return None
    by_strike: dict[float, list[float]] = {}
    for strike, iv in points:
        by_strike.setdefault(strike, []).append(iv)
    strikes = sorted(by_strike)
    ivs = [math.fsum(by_strike[k]) / len(by_strike[k]) for k in strikes]
    if spot <= strikes[0]:
        return ivs[0]
    if spot >= strikes[-1]:
        return ivs[-1]
    upper = bisect_left(strikes, spot)
    if strikes[upper] == spot:
        return ivs[upper]
    k0, k1, v0, v1 = strikes[upper - 1], strikes[upper], ivs[upper - 1], ivs[upper]
    return v0 + (v1 - v0) * (spot - k0) / (k1 - k0)


class IVPoint(Protocol):
    """What ATM IV reads of a contract (an AnalysedContract has it all)."""

    @property
    def contract_type(self) -> str: ...
    @property
    def strike(self) -> float: ...
    @property
    def dte(self) -> int: ...
    @property
    def iv(self) -> float | None: ...


def atm_iv(contracts: Sequence[IVPoint], *, spot: float) -> float | None:
    """Return the chain's ATM IV (annualised fraction) by mojo's fixed definition.

    Among expirations with at least one contract carrying an IV, take the one whose DTE is
    nearest 30 (a tie goes to the later one). There, for calls and for puts separately,
    interpolate IV linearly in strike between the two strikes bracketing spot (the nearest
    strike's IV when spot is outside the strikes; contracts without IV are skipped; equal
    strikes are averaged). ATM IV is the mean of the call and put values, either alone when
    only one exists, None when neither does.
    """
    with_iv = [c for c in contracts if _positive(c.iv) and c.dte is not None]
    if not with_iv or not (spot > 0 and math.isfinite(spot)):
        return None
    dtes = {int(c.dte) for c in with_iv}
    chosen = min(dtes, key=lambda d: (abs(d - ATM_IV_TARGET_DTE), -d))
    at_expiry = [c for c in with_iv if c.dte == chosen]
    sides = [
        _interpolated_iv(
            [(float(c.strike), float(c.iv or 0)) for c in at_expiry if c.contract_type == side], spot
        )
        for side in ("call", "put")
    ]
    values = [v for v in sides if v is not None]
    return math.fsum(values) / len(values) if values else None


DTE_BUCKETS: tuple[tuple[int, int], ...] = (
    (0, 7),
    (8, 14),
    (15, 21),
    (22, 30),
    (31, 45),
    (46, 60),
    (365, 900),
)


class Dated(Protocol):
    """What the DTE buckets read of a contract."""

    @property
    def dte(self) -> int: ...
    @property
    def expiration(self) -> date: ...


class Bucket(TypedDict):
    """A DTE bucket of the chain: its expirations and contract count."""

    label: Annotated[str, Doc("DTE range, e.g. 0-7.")]
    min_dte: int
    max_dte: int
    expirations: list[IsoDate]
    expiration_count: int
    contract_count: int


def dte_buckets(contracts: Sequence[Dated]) -> list[Bucket]:
    """Group the chain's expirations into DTE buckets with expiration and contract counts.

    Every bucket is listed (counts 0 when empty); contracts whose DTE falls outside all
    buckets (61-364, beyond 900, expired) are not counted.
    """
    result: list[Bucket] = []
    for low, high in DTE_BUCKETS:
        inside = [c for c in contracts if low <= c.dte <= high]
        expirations = sorted({c.expiration.isoformat() for c in inside})
        result.append(
            {
                "label": f"{low}-{high}",
                "min_dte": low,
                "max_dte": high,
                "expirations": expirations,
                "expiration_count": len(expirations),
                "contract_count": len(inside),
            }
        )
    return result
