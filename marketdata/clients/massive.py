"""Massive (Polygon) market data as mojo's typed values: daily bars and option snapshots.

HTTP only — no cache, no ORM. Requests go through `MassiveRESTClient` (the official client
with mojo's retry policy, throttle and budgets); this module turns the library's models into
`DailyBar` / `OptionSnapshot`, skipping (with a warning, counted) records that cannot be
typed. Every method takes a `deadline`: `Deadline.for_request()` on request paths, `None`
for cron refreshes. Only `marketdata.exceptions` errors escape.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from massive.rest.models import Agg, GroupedDailyAgg, OptionContractSnapshot, Split, TickerSnapshot
from massive.rest.models import TickerDetails as LibraryTickerDetails

from core.deadline import Deadline
from marketdata.clients.massive_adapter import PROVIDER, MalformedRecord, MassiveRESTClient
from marketdata.clients.retry import RetryPolicy
from marketdata.clients.throttle import UpstreamThrottle
from marketdata.domain import ContractType, DailyBar, OptionSnapshot, StockSplit, TickerDetails
from marketdata.exceptions import MalformedResponse, TickerNotFound
from marketdata.market_hours import NEW_YORK
from marketdata.metrics import MALFORMED_RECORDS

logger = logging.getLogger("marketdata.clients.massive")

T = TypeVar("T")

CHAIN_PAGE_SIZE = 250  # the provider's maximum
BARS_LIMIT = 50_000  # the provider's maximum: five years of daily bars in one request
SPLITS_PAGE_SIZE = 1000  # the provider's maximum
# The stocks snapshot takes its tickers in the URL: batches keep the query well under the
# ~8 KB request lines servers accept (2,000 characters: ~300 symbols per call).
MAX_TICKERS_IN_URL = 2000
VALIDATION_DAYS = 7  # spec §4: a symbol is known when it has bars in the last week


class MassiveClient:
    """Typed access to the Massive endpoints mojo uses."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        policy: RetryPolicy | None = None,
        throttle: UpstreamThrottle | None = None,
    ) -> None:
        if not api_key:
            logger.warning("MASSIVE_API_KEY is not set: Massive will refuse mojo's requests")
        self.base_url = base_url
        self.rest = MassiveRESTClient(
            api_key=api_key, base=base_url, policy=policy or RetryPolicy(), throttle=throttle
        )

    @classmethod
    def from_settings(cls) -> MassiveClient:
        """Build a client from the current Django settings."""
        return cls(
            api_key=settings.MASSIVE_API_KEY,
            base_url=settings.MASSIVE_BASE_URL,
            policy=RetryPolicy.from_settings(),
            throttle=UpstreamThrottle(
                provider=PROVIDER,
                limit=settings.MASSIVE_RATE_LIMIT_PER_MINUTE,
                window=float(settings.MASSIVE_RATE_LIMIT_WINDOW),
                redis_url=settings.REDIS_URL,
            ),
        )

    def get_daily_bars(
        self, ticker: str, start: date, end: date, *, deadline: Deadline | None = None
    ) -> list[DailyBar]:
        """Return adjusted daily bars from `start` to `end`, oldest first (one request).

        Raises TickerNotFound when the provider has no bars for the symbol in the range.
        """
        with self.rest.scope("aggs", ticker, deadline):
            records = self.rest.get_aggs(
                ticker, 1, "day", start, end, adjusted=True, sort="asc", limit=BARS_LIMIT
            )
        if not isinstance(records, list):
            raise MalformedResponse("Massive sent daily bars mojo cannot read.")
        if not records:
            raise TickerNotFound(f"Massive has no daily bars for {ticker}.")
        return _typed(records, daily_bar_from_agg, endpoint="aggs", symbol=ticker)

    def get_grouped_daily(self, session: date, *, deadline: Deadline | None = None) -> dict[str, DailyBar]:
        """Every US stock's adjusted bar of one completed session, by ticker (one request).

        The bars carry the asked session: grouped daily's `t` is the end of its window, so it
        is never read as the session. A date with no session answers no bars.
        """
        with self.rest.scope("grouped_daily", "market", deadline):
            records = self.rest.get_grouped_daily_aggs(session, adjusted=True)
        if not isinstance(records, list):
            raise MalformedResponse("Massive sent a grouped daily answer mojo cannot read.")
        typed = _typed(
            records, lambda agg: grouped_bar_from_agg(agg, session), endpoint="grouped_daily", symbol="market"
        )
        return dict(typed)

    def get_stocks_snapshot(
        self, tickers: Sequence[str], *, session: date, deadline: Deadline | None = None
    ) -> dict[str, DailyBar]:
        """Today's bar so far of each ticker that traded today, by ticker (the stocks snapshot).

        One request per batch of tickers whose comma-joined list fits a URL; before the open
        the provider sends a zero `day`, which is no bar and is left out.
        """
        bars: dict[str, DailyBar] = {}
        for batch in _url_batches(tickers):
            with self.rest.scope("stocks_snapshot", "market", deadline):
                records = self.rest.get_snapshot_all("stocks", tickers=list(batch))
            if not isinstance(records, list):
                raise MalformedResponse("Massive sent a stocks snapshot mojo cannot read.")
            typed = _typed(
                records, lambda snapshot: snapshot_day_bar(snapshot, session), endpoint="stocks_snapshot",
                symbol="market",
            )  # fmt: skip
            bars.update((ticker, bar) for ticker, bar in typed if bar is not None)
        return bars

    def list_splits(self, *, since: date, deadline: Deadline | None = None) -> list[StockSplit]:
        """Every split of the market executed on or after `since`, oldest first (all pages)."""
        with self.rest.scope("splits", "market", deadline):
            records = list(
                self.rest.list_splits(
                    execution_date_gte=since, limit=SPLITS_PAGE_SIZE, sort="execution_date", order="asc"
                )
            )
        return _typed(records, split_from_model, endpoint="splits", symbol="market")

    def get_options_chain_snapshot(
        self,
        ticker: str,
        expiration_gte: date,
        expiration_lte: date,
        contract_type: str | None = None,
        *,
        deadline: Deadline | None = None,
    ) -> list[OptionSnapshot]:
        """Return every contract expiring in [gte, lte] (all pages); [] when there are none."""
        if contract_type not in (None, "call", "put"):
            raise ValueError(f"contract_type must be 'call', 'put' or None, not {contract_type!r}")
        params: dict[str, Any] = {
            "expiration_date.gte": expiration_gte.isoformat(),
            "expiration_date.lte": expiration_lte.isoformat(),
            "limit": CHAIN_PAGE_SIZE,
        }
        if contract_type is not None:
            params["contract_type"] = contract_type
        with self.rest.scope("options_chain", ticker, deadline):
            records = list(self.rest.list_snapshot_options_chain(ticker, params=params))
        if not records:
            return []

        def convert(model: Any) -> OptionSnapshot:
            return option_snapshot_from_model(model, underlying=ticker)

        return _typed(records, convert, endpoint="options_chain", symbol=ticker)

    def get_option_contract_snapshot(
        self, underlying: str, option_ticker: str, *, deadline: Deadline | None = None
    ) -> OptionSnapshot:
        """Return one contract's snapshot; TickerNotFound when the provider does not know it."""
        with self.rest.scope("option_contract", option_ticker, deadline):
            record = self.rest.get_snapshot_option(underlying, option_ticker)
        if record is None or record == []:
            raise TickerNotFound(f"Massive does not know {option_ticker}.")

        def convert(model: Any) -> OptionSnapshot:
            return option_snapshot_from_model(model, underlying=underlying)

        return _typed([record], convert, endpoint="option_contract", symbol=option_ticker)[0]

    def get_ticker_details(self, ticker: str, *, deadline: Deadline | None = None) -> TickerDetails:
        """What the provider says `ticker` is (one request); TickerNotFound when it does not know it."""
        with self.rest.scope("ticker_details", ticker, deadline):
            model = self.rest.get_ticker_details(ticker)
        return _typed([model], ticker_details_from_model, endpoint="ticker_details", symbol=ticker)[0]

    def validate_ticker(self, ticker: str, *, today: date, deadline: Deadline | None = None) -> bool:
        """Return whether the provider has bars for `ticker` in the last week.

        Raises ProviderUnavailable (or another ProviderError) when the provider cannot
        answer: "unknown" and "can't tell" are different answers.
        """
        try:
            bars = self.get_daily_bars(
                ticker, today - timedelta(days=VALIDATION_DAYS), today, deadline=deadline
            )
        except TickerNotFound:
            return False
        return bool(bars)


# --- typed conversion ----------------------------------------------------------------------


def daily_bar_from_agg(agg: Agg) -> DailyBar:
    """Return the DailyBar for one library `Agg`; ValueError when a field is unusable."""
    timestamp = _required(agg.timestamp, "t")
    return _bar(agg, datetime.fromtimestamp(timestamp / 1000, tz=NEW_YORK).date())


def grouped_bar_from_agg(agg: GroupedDailyAgg, session: date) -> tuple[str, DailyBar]:
    """Return (ticker, DailyBar of `session`) for one grouped-daily record; ValueError when unusable."""
    if not isinstance(agg.ticker, str) or not agg.ticker:
        raise ValueError("T is missing")
    return agg.ticker, _bar(agg, session)


def _bar(agg: Agg | GroupedDailyAgg, session: date) -> DailyBar:
    transactions = _number(agg.transactions, "n")
    return DailyBar(
        session=session,
        open=_required(agg.open, "o"),
        high=_required(agg.high, "h"),
        low=_required(agg.low, "l"),
        close=_required(agg.close, "c"),
        volume=_required(agg.volume, "v"),
        vwap=_number(agg.vwap, "vw"),
        transactions=int(transactions) if transactions is not None else None,
    )


def snapshot_day_bar(snapshot: TickerSnapshot, session: date) -> tuple[str, DailyBar | None]:
    """(ticker, today's bar so far) of a stocks snapshot; None for the zero `day` before the open."""
    if not isinstance(snapshot.ticker, str) or not snapshot.ticker:
        raise ValueError("ticker is missing")
    day = snapshot.day
    if day is None or not _number(day.close, "day.c") or not _number(day.volume, "day.v"):
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


def split_from_model(split: Split) -> StockSplit:
    """The StockSplit of one library `Split`; ValueError when a field is unusable."""
    if not isinstance(split.ticker, str) or not split.ticker or not split.execution_date:
        raise ValueError("ticker or execution_date is missing")
    split_from, split_to = _required(split.split_from, "split_from"), _required(split.split_to, "split_to")
    if split_from <= 0 or split_to <= 0:
        raise ValueError("a split ratio is not positive")
    return StockSplit(split.ticker, date.fromisoformat(split.execution_date), split_from, split_to)


def _url_batches(tickers: Sequence[str]) -> Iterator[Sequence[str]]:
    """Tickers in batches whose comma-joined list stays under MAX_TICKERS_IN_URL characters."""
    batch: list[str] = []
    length = 0
    for ticker in tickers:
        if batch and length + len(ticker) + 1 > MAX_TICKERS_IN_URL:
            yield batch
            batch, length = [], 0
        batch.append(ticker)
        length += len(ticker) + 1
    if batch:
        yield batch


def option_snapshot_from_model(model: OptionContractSnapshot, *, underlying: str) -> OptionSnapshot:
    """Return the OptionSnapshot for one library snapshot; missing sub-objects stay None."""
    details = model.details
    if details is None:
        raise ValueError("details is missing")
    option_ticker = details.ticker
    if not isinstance(option_ticker, str) or not option_ticker:
        raise ValueError("details.ticker is missing")
    contract_type = details.contract_type
    if contract_type not in ("call", "put"):
        raise ValueError(f"details.contract_type is {contract_type!r}")
    if not isinstance(details.expiration_date, str):
        raise ValueError("details.expiration_date is missing")
    expiration = date.fromisoformat(details.expiration_date)
    shares = _number(details.shares_per_contract, "details.shares_per_contract")
    if shares is not None and shares <= 0:
        raise ValueError(f"details.shares_per_contract is {shares}")
    quote, day, greeks, asset = model.last_quote, model.day, model.greeks, model.underlying_asset
    open_interest = _number(model.open_interest, "open_interest")
    kind: ContractType = "call" if contract_type == "call" else "put"
    return OptionSnapshot(
        option_ticker=option_ticker,
        underlying=underlying,
        contract_type=kind,
        strike=_required(details.strike_price, "details.strike_price"),
        expiration=expiration,
        shares_per_contract=int(shares) if shares is not None else 100,
        bid=_number(quote.bid, "last_quote.bid") if quote is not None else None,
        ask=_number(quote.ask, "last_quote.ask") if quote is not None else None,
        day_close=_number(day.close, "day.close") if day is not None else None,
        day_volume=_number(day.volume, "day.volume") if day is not None else None,
        delta=_number(greeks.delta, "greeks.delta") if greeks is not None else None,
        gamma=_number(greeks.gamma, "greeks.gamma") if greeks is not None else None,
        theta=_number(greeks.theta, "greeks.theta") if greeks is not None else None,
        vega=_number(greeks.vega, "greeks.vega") if greeks is not None else None,
        implied_volatility=_number(model.implied_volatility, "implied_volatility"),
        open_interest=int(open_interest) if open_interest is not None else None,
        underlying_price=_number(asset.price, "underlying_asset.price") if asset is not None else None,
    )


def _number(value: Any, name: str) -> float | None:
    """Return `value` as a float; None stays None; anything but a finite number is an error."""
    if value is None:
        return None
    kind = type(value)  # exact types: bool is an int subclass, and this runs per field of every record
    if kind is not float and kind is not int:
        raise ValueError(f"{name} is not a number: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite: {value!r}")
    return float(value)


def _required(value: Any, name: str) -> float:
    number = _number(value, name)
    if number is None:
        raise ValueError(f"{name} is missing")
    return number


def _typed(records: Iterable[Any], convert: Callable[[Any], T], *, endpoint: str, symbol: str) -> list[T]:
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
