"""The market-data API's response bodies, each shape written once.

Shapes are TypedDicts of JSON-ready values (`core.shapes`): the services build them (mypy
checks every key), the views return them as they are (hot paths skip serializer overhead),
and `marketdata.serializers` derives the documented schema from them. Parts computed by the
pure modules are theirs: `Indicators`, `OptionResult`, `Bucket`, `Window`, `Candidate`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from typing_extensions import Doc

from core.shapes import IsoDate, IsoDateTime
from marketdata.indicators import Indicators
from marketdata.option_analytics import Bucket, ContractGreeks, OptionResult, PriceSource
from marketdata.payloads import Window
from marketdata.strategies import Candidate

EarningsStatus = Literal["scheduled", "none", "unknown"]
SpotSource = Literal["close", "intraday", "chain"]


class Meta(TypedDict):
    """Where a response's data came from: when, from the cache or not, stale or not."""

    as_of: Annotated[IsoDateTime, Doc("When the data was fetched from the provider (UTC).")]
    cached: bool
    stale: Annotated[bool, Doc("True when the provider failed and older data is served.")]


class EarningsFields(TypedDict):
    """The next earnings date, as the stock, earnings, options and signals responses show it."""

    earnings_date: IsoDate | None
    days_to_earnings: int | None
    earnings_status: Annotated[
        EarningsStatus, Doc("unknown: the earnings provider could not answer (not the same as none).")
    ]


class SpotQuoted(TypedDict):
    """When and where the spot (the stock's `price`) was quoted."""

    spot_as_of: Annotated[IsoDateTime, Doc("When mojo fetched that quote from the provider (UTC).")]
    spot_source: Annotated[
        SpotSource,
        Doc(
            "close: the last completed session's close; intraday: the running session's latest"
            " price; chain: the option chain's underlying price (no stock data to be had)."
        ),
    ]


class SpotFields(SpotQuoted):
    """The latest quote of the underlying: the same number on every endpoint at one moment."""

    spot: float | None


class ChainSpotFields(TypedDict):
    """Where a cached chain's analyses (greeks, moneyness, ATM IV) were computed."""

    chain_spot: Annotated[float | None, Doc("The underlying price the chain was snapshotted at.")]
    chain_as_of: Annotated[IsoDateTime, Doc("When the chain was fetched from the provider (UTC).")]


class StockQuote(TypedDict):
    """A symbol's latest close and its change from the session before."""

    symbol: str
    price: float
    change: float | None
    change_percent: Annotated[float | None, Doc("Percent (2.5 = 2.5 %).")]


class NextDividend(TypedDict):
    """The next declared cash dividend: its ex-dividend date and amount per share."""

    ex_dividend_date: IsoDate
    cash_amount: Annotated[float, Doc("Per share, in US dollars.")]


class StockReference(TypedDict):
    """What the security is and its next dividend, from the provider's reference data."""

    name: Annotated[str | None, Doc("The provider's name for the security; null until it is known.")]
    type: Annotated[
        str | None,
        Doc("The provider's type code (CS common stock, ETF, ADRC depositary receipt); null until known."),
    ]
    next_dividend: Annotated[
        NextDividend | None, Doc("The next declared ex-dividend date; null when none is declared.")
    ]


class Stock(StockQuote, StockReference, SpotQuoted, Indicators, EarningsFields):
    """GET /stocks/{symbol}/; `price` is the spot."""

    meta: Meta


class StockSummary(TypedDict):
    """A symbol's price, change and headline indicators (a dashboard row); null when not cached."""

    price: float | None
    change_percent: Annotated[float | None, Doc("Percent (2.5 = 2.5 %).")]
    sma_20: float | None
    sma_50: float | None
    sma_200: float | None
    rsi_14: float | None
    hv_20: Annotated[float | None, Doc("Annualised fraction (0.35 = 35 %).")]
    high_52w: float | None
    low_52w: float | None
    spot_as_of: Annotated[IsoDateTime | None, Doc("When mojo fetched the price from the provider (UTC).")]
    spot_source: SpotSource | None
    meta: Meta | None


class Bar(TypedDict):
    """One completed daily session."""

    date: IsoDate
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None


class Bars(TypedDict):
    """GET /stocks/{symbol}/bars/."""

    symbol: str
    bars: list[Bar]
    meta: Meta


class Earnings(EarningsFields):
    """GET /stocks/{symbol}/earnings/."""

    symbol: str
    upcoming: list[IsoDate]
    meta: Meta


class Options(SpotFields, ChainSpotFields):
    """GET /stocks/{symbol}/options/."""

    symbol: str
    atm_iv: Annotated[float | None, Doc("Annualised fraction.")]
    iv_rank: Annotated[float | None, Doc("Percent; null below 20 observations.")]
    iv_percentile: Annotated[float | None, Doc("Percent.")]
    iv_history_days: int
    iv_rank_reason: str | None
    buckets: list[Bucket]
    windows: Annotated[list[Window], Doc("The expiration windows fetched from the provider.")]
    results: list[OptionResult]
    meta: Meta


class Strategies(TypedDict, total=False):
    """The requested strategies' ranked candidates."""

    csp: list[Candidate]
    covered_call: list[Candidate]
    leaps: list[Candidate]
    pmcc: list[Candidate]


class Signals(SpotFields, ChainSpotFields, EarningsFields):
    """GET /stocks/{symbol}/signals/."""

    symbol: str
    iv_rank: float | None
    atm_iv: float | None
    strategies: Strategies
    meta: Meta


class _OptionPrice(TypedDict):
    option_ticker: str
    underlying: str
    price: float | None
    price_source: PriceSource
    bid: float | None
    ask: float | None


class OptionQuote(_OptionPrice, ContractGreeks):
    """GET /options/{option_ticker}/."""

    dte: int
    meta: Meta


class ValidateTickerResponse(TypedDict):
    """POST /tickers/validate/."""

    symbol: str
    valid: bool
