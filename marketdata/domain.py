"""Typed market data as mojo uses it: plain dataclasses, no Django, no provider models.

Provider clients convert wire data into these; the cache stores them as compact dicts
(`to_payload` / `from_payload`) with only the fields the API needs. Missing provider
sub-objects stay None — never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

ContractType = Literal["call", "put"]


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One daily OHLCV bar; `session` is the New York session date."""

    session: date
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None = None
    transactions: int | None = None


@dataclass(frozen=True, slots=True)
class StockSplit:
    """A split executed on `execution_date`: `split_from` old shares became `split_to` new ones."""

    symbol: str
    execution_date: date
    split_from: float
    split_to: float

    @property
    def price_factor(self) -> float:
        """What prices before the split are multiplied by to be comparable (0.1 for 10-for-1)."""
        return self.split_from / self.split_to


@dataclass(frozen=True, slots=True)
class TickerDetails:
    """What the provider says a symbol is: its name, its type code (CS, ETF, ADRC…), whether it trades."""

    symbol: str
    name: str | None
    type: str | None
    active: bool
    primary_exchange: str | None = None


@dataclass(frozen=True, slots=True)
class Dividend:
    """A declared cash dividend: per-share `cash_amount` to holders before `ex_dividend_date`.

    `frequency` is payments a year (0 one-time, 1, 2, 4, 12); `dividend_type` the provider's
    code (CD regular, SC special, LT/ST capital gains).
    """

    symbol: str
    ex_dividend_date: date
    cash_amount: float
    declaration_date: date | None = None
    record_date: date | None = None
    pay_date: date | None = None
    frequency: int | None = None
    dividend_type: str = "CD"


BAR_COLUMNS = ("d", "o", "h", "l", "c", "v", "vw", "n")


def bars_to_columns(bars: list[DailyBar]) -> dict[str, list[Any]]:
    """Store bars column-wise: a few long lists instead of one small list per bar.

    Decoding many cached entries at once (a dashboard) then allocates a handful of
    containers per symbol rather than hundreds, which keeps the garbage collector quiet.
    """
    return {
        "d": [bar.session.isoformat() for bar in bars],
        "o": [bar.open for bar in bars],
        "h": [bar.high for bar in bars],
        "l": [bar.low for bar in bars],
        "c": [bar.close for bar in bars],
        "v": [bar.volume for bar in bars],
        "vw": [bar.vwap for bar in bars],
        "n": [bar.transactions for bar in bars],
    }


def bars_from_columns(columns: dict[str, list[Any]]) -> list[DailyBar]:
    """Rebuild bars from `bars_to_columns`."""
    return [
        DailyBar(date.fromisoformat(d), o, h, low, c, v, vw, n)
        for d, o, h, low, c, v, vw, n in zip(*(columns[k] for k in BAR_COLUMNS), strict=True)
    ]


@dataclass(frozen=True, slots=True)
class OptionSnapshot:
    """One option contract's snapshot: details, quote, day, greeks, IV, open interest."""

    option_ticker: str
    underlying: str
    contract_type: ContractType
    strike: float
    expiration: date
    shares_per_contract: int = 100
    bid: float | None = None
    ask: float | None = None
    day_close: float | None = None
    day_volume: float | None = None
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    implied_volatility: float | None = None
    open_interest: int | None = None
    underlying_price: float | None = None

    def to_payload(self) -> dict[str, Any]:
        """Return a compact dict for the cache (short keys; None fields dropped)."""
        payload: dict[str, Any] = {
            "t": self.option_ticker,
            "u": self.underlying,
            "ct": self.contract_type,
            "k": self.strike,
            "x": self.expiration.isoformat(),
        }
        if self.shares_per_contract != 100:
            payload["m"] = self.shares_per_contract
        for short, value in (
            ("b", self.bid),
            ("a", self.ask),
            ("c", self.day_close),
            ("v", self.day_volume),
            ("d", self.delta),
            ("g", self.gamma),
            ("th", self.theta),
            ("ve", self.vega),
            ("iv", self.implied_volatility),
            ("oi", self.open_interest),
            ("up", self.underlying_price),
        ):
            if value is not None:
                payload[short] = value
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OptionSnapshot:
        """Rebuild a snapshot from `to_payload`'s dict."""
        get = payload.get
        return cls(
            option_ticker=payload["t"],
            underlying=payload["u"],
            contract_type=payload["ct"],
            strike=payload["k"],
            expiration=date.fromisoformat(payload["x"]),
            shares_per_contract=get("m", 100),
            bid=get("b"),
            ask=get("a"),
            day_close=get("c"),
            day_volume=get("v"),
            delta=get("d"),
            gamma=get("g"),
            theta=get("th"),
            vega=get("ve"),
            implied_volatility=get("iv"),
            open_interest=get("oi"),
            underlying_price=get("up"),
        )

    @property
    def has_greeks(self) -> bool:
        """True when the provider sent a delta (the greek every rule selects by)."""
        return self.delta is not None
