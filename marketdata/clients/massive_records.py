"""Massive's records as mojo's typed values: the library's models in, domain values out.

Each converter raises ValueError (or TypeError) for a record it cannot type; `typed` skips
those with a warning and a count, and fails the response only when nothing was readable.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from massive.rest.models import (
    Agg,
    GroupedDailyAgg,
    OptionContractSnapshot,
    Split,
    TickerSnapshot,
    UniversalSnapshot,
)
from massive.rest.models import Dividend as LibraryDividend
from massive.rest.models import TickerDetails as LibraryTickerDetails

from core.errors import MojoError
from marketdata.clients.massive_adapter import PROVIDER, MalformedRecord
from marketdata.domain import ContractType, DailyBar, Dividend, OptionSnapshot, StockSplit, TickerDetails
from marketdata.exceptions import MalformedResponse, NotEntitled, ProviderUnavailable, TickerNotFound
from marketdata.market_hours import NEW_YORK
from marketdata.metrics import MALFORMED_RECORDS

logger = logging.getLogger("marketdata.clients.massive")

T = TypeVar("T")


def daily_bar_from_agg(agg: Agg) -> DailyBar:
    """Return the DailyBar for one library `Agg`; ValueError when a field is unusable."""
    timestamp = required(agg.timestamp, "t")
    return _bar(agg, datetime.fromtimestamp(timestamp / 1000, tz=NEW_YORK).date())


def grouped_bar_from_agg(agg: GroupedDailyAgg, session: date) -> tuple[str, DailyBar]:
    """Return (ticker, DailyBar of `session`) for one grouped-daily record; ValueError when unusable."""
    if not isinstance(agg.ticker, str) or not agg.ticker:
        raise ValueError("T is missing")
    return agg.ticker, _bar(agg, session)


def _bar(agg: Agg | GroupedDailyAgg, session: date) -> DailyBar:
    transactions = number(agg.transactions, "n")
    return DailyBar(
        session=session,
        open=required(agg.open, "o"),
        high=required(agg.high, "h"),
        low=required(agg.low, "l"),
        close=required(agg.close, "c"),
        volume=required(agg.volume, "v"),
        vwap=number(agg.vwap, "vw"),
        transactions=int(transactions) if transactions is not None else None,
    )


def snapshot_day_bar(snapshot: TickerSnapshot, session: date) -> tuple[str, DailyBar | None]:
    """(ticker, today's bar so far) of a stocks snapshot; None for the zero `day` before the open."""
    if not isinstance(snapshot.ticker, str) or not snapshot.ticker:
        raise ValueError("ticker is missing")
    day = snapshot.day
    if day is None or not number(day.close, "day.c") or not number(day.volume, "day.v"):
        return snapshot.ticker, None
    return snapshot.ticker, _bar(day, session)


def ticker_details_from_model(details: LibraryTickerDetails) -> TickerDetails:
    """The TickerDetails of the library's model; ValueError when the ticker is missing."""
    if not isinstance(details.ticker, str) or not details.ticker:
        raise ValueError("ticker is missing")
    return TickerDetails(
        symbol=details.ticker,
        name=details.name or None,
        type=details.type or None,
        active=details.active is not False,  # absent means listed: only an explicit false is inactive
        primary_exchange=details.primary_exchange or None,
    )


def dividend_from_model(dividend: LibraryDividend) -> Dividend:
    """The Dividend of one library record; ValueError when its ticker, ex-date, amount or type is unusable."""
    if not isinstance(dividend.ticker, str) or not dividend.ticker:
        raise ValueError("ticker is missing")
    cash_amount = required(dividend.cash_amount, "cash_amount")
    if cash_amount < 0:
        raise ValueError(f"cash_amount is negative: {cash_amount}")
    if not isinstance(dividend.dividend_type, str) or not dividend.dividend_type:
        raise ValueError("dividend_type is missing")
    frequency = number(dividend.frequency, "frequency")
    return Dividend(
        symbol=dividend.ticker,
        ex_dividend_date=_iso_date(dividend.ex_dividend_date, "ex_dividend_date"),
        cash_amount=cash_amount,
        declaration_date=_optional_date(dividend.declaration_date, "declaration_date"),
        record_date=_optional_date(dividend.record_date, "record_date"),
        pay_date=_optional_date(dividend.pay_date, "pay_date"),
        frequency=int(frequency) if frequency is not None else None,
        dividend_type=dividend.dividend_type,
    )


def _iso_date(value: Any, name: str) -> date:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing")
    return date.fromisoformat(value)


def _optional_date(value: Any, name: str) -> date | None:
    return None if value in (None, "") else _iso_date(value, name)


def split_from_model(split: Split) -> StockSplit:
    """The StockSplit of one library `Split`; ValueError when a field is unusable."""
    if not isinstance(split.ticker, str) or not split.ticker or not split.execution_date:
        raise ValueError("ticker or execution_date is missing")
    split_from, split_to = required(split.split_from, "split_from"), required(split.split_to, "split_to")
    if split_from <= 0 or split_to <= 0:
        raise ValueError("a split ratio is not positive")
    return StockSplit(split.ticker, date.fromisoformat(split.execution_date), split_from, split_to)


def option_snapshot_from_model(model: OptionContractSnapshot, *, underlying: str) -> OptionSnapshot:
    """Return the OptionSnapshot for one library snapshot; missing sub-objects stay None."""
    details = model.details
    if details is None:
        raise ValueError("details is missing")
    quote, day, greeks, asset = model.last_quote, model.day, model.greeks, model.underlying_asset
    return _option_snapshot(
        details.ticker,
        details,
        underlying=underlying,
        quote=quote,
        day=day,
        greeks=greeks,
        implied_volatility=model.implied_volatility,
        open_interest=model.open_interest,
        underlying_price=asset.price if asset is not None else None,
    )


def per_ticker_error(ticker: str, error: str, message: str | None) -> MojoError:
    """The error of a ticker the universal snapshot answered with `error` instead of data."""
    text = f"Massive has no snapshot of {ticker}: {message or error}."
    if error == "NOT_FOUND":
        return TickerNotFound(text)
    if error in ("NOT_ENTITLED", "NOT_AUTHORIZED"):
        return NotEntitled(text, details={"endpoint": "universal_snapshot"})
    return ProviderUnavailable(text)


def universal_option_snapshot(model: UniversalSnapshot, *, underlying: str) -> OptionSnapshot:
    """The OptionSnapshot of one universal-snapshot record of an option (its day is `session`)."""
    if model.type != "options":
        raise ValueError(f"type is {model.type!r}, not options")
    if model.details is None:
        raise ValueError("details is missing")
    asset = model.underlying_asset
    return _option_snapshot(
        model.ticker,
        model.details,
        underlying=underlying,
        quote=model.last_quote,
        day=model.session,
        greeks=model.greeks,
        implied_volatility=model.implied_volatility,
        open_interest=model.open_interest,
        underlying_price=asset.price if asset is not None else None,
    )


def _option_snapshot(
    option_ticker: Any,
    details: Any,
    *,
    underlying: str,
    quote: Any,
    day: Any,
    greeks: Any,
    implied_volatility: Any,
    open_interest: Any,
    underlying_price: Any,
) -> OptionSnapshot:
    """An OptionSnapshot from the parts both snapshot shapes have (their day and quote objects)."""
    if not isinstance(option_ticker, str) or not option_ticker:
        raise ValueError("the option ticker is missing")
    contract_type = details.contract_type
    if contract_type not in ("call", "put"):
        raise ValueError(f"details.contract_type is {contract_type!r}")
    if not isinstance(details.expiration_date, str):
        raise ValueError("details.expiration_date is missing")
    expiration = date.fromisoformat(details.expiration_date)
    shares = number(details.shares_per_contract, "details.shares_per_contract")
    if shares is not None and shares <= 0:
        raise ValueError(f"details.shares_per_contract is {shares}")
    interest = number(open_interest, "open_interest")
    kind: ContractType = "call" if contract_type == "call" else "put"
    return OptionSnapshot(
        option_ticker=option_ticker,
        underlying=underlying,
        contract_type=kind,
        strike=required(details.strike_price, "details.strike_price"),
        expiration=expiration,
        shares_per_contract=int(shares) if shares is not None else 100,
        bid=number(quote.bid, "last_quote.bid") if quote is not None else None,
        ask=number(quote.ask, "last_quote.ask") if quote is not None else None,
        day_close=number(day.close, "day.close") if day is not None else None,
        day_volume=number(day.volume, "day.volume") if day is not None else None,
        delta=number(greeks.delta, "greeks.delta") if greeks is not None else None,
        gamma=number(greeks.gamma, "greeks.gamma") if greeks is not None else None,
        theta=number(greeks.theta, "greeks.theta") if greeks is not None else None,
        vega=number(greeks.vega, "greeks.vega") if greeks is not None else None,
        implied_volatility=number(implied_volatility, "implied_volatility"),
        open_interest=int(interest) if interest is not None else None,
        underlying_price=number(underlying_price, "underlying_asset.price"),
    )


def number(value: Any, name: str) -> float | None:
    """Return `value` as a float; None stays None; anything but a finite number is an error."""
    if value is None:
        return None
    kind = type(value)  # exact types: bool is an int subclass, and this runs per field of every record
    if kind is not float and kind is not int:
        raise ValueError(f"{name} is not a number: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite: {value!r}")
    return float(value)


def required(value: Any, name: str) -> float:
    value = number(value, name)
    if value is None:
        raise ValueError(f"{name} is missing")
    return float(value)


def typed(records: Iterable[Any], convert: Callable[[Any], T], *, endpoint: str, symbol: str) -> list[T]:
    """Convert records, skipping (warned, counted) the ones that fail; all failing → MalformedResponse."""
    typed: list[T] = []
    skipped = 0
    for position, record in enumerate(records):
        if isinstance(record, MalformedRecord):
            error, raw = record.error, record.raw
        else:
            try:
                typed.append(convert(record))
                continue
            except (TypeError, ValueError, AttributeError) as exc:
                error, raw = f"{type(exc).__name__}: {exc}", record
        skipped += 1
        MALFORMED_RECORDS.labels(PROVIDER, endpoint).inc()
        logger.warning(
            "massive %s %s: skipped malformed record %s (%s)",
            endpoint,
            symbol,
            _record_name(raw, position),
            error,
            extra={"provider": PROVIDER, "endpoint": endpoint, "symbol": symbol},
        )
    if skipped and not typed:
        raise MalformedResponse(f"Massive sent no readable records for {symbol}.")
    return typed


def _record_name(raw: Any, position: int) -> str:
    """Name a record for a log line: its option ticker or timestamp when it has one."""
    details = getattr(raw, "details", None)
    if details is None and isinstance(raw, dict):
        details = raw.get("details")
    ticker = getattr(details, "ticker", None) or (
        details.get("ticker") if isinstance(details, dict) else None
    )
    if isinstance(ticker, str):
        return f"{ticker} (#{position})"
    timestamp = getattr(raw, "timestamp", None) or (raw.get("t") if isinstance(raw, dict) else None)
    if timestamp is not None:
        return f"t={timestamp} (#{position})"
    return f"#{position}"
