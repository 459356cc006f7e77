"""Massive (Polygon) market data as mojo's typed values: daily bars and option snapshots.

HTTP only — no cache, no ORM. Requests go through `MassiveRESTClient` (the official client
with mojo's retry policy, throttle and budgets); `massive_records` turns the library's models into
`DailyBar` / `OptionSnapshot` and friends, skipping (with a warning, counted) records that
cannot be typed. Every method takes a `deadline`: `Deadline.for_request()` on request paths, `None`
for cron refreshes. Only `marketdata.exceptions` errors escape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata.clients.massive_adapter import PROVIDER, MassiveRESTClient
from marketdata.clients.massive_records import (
    daily_bar_from_agg,
    dividend_from_model,
    grouped_bar_from_agg,
    option_snapshot_from_model,
    per_ticker_error,
    snapshot_day_bar,
    split_from_model,
    ticker_details_from_model,
    typed,
    universal_option_snapshot,
)
from marketdata.clients.retry import RetryPolicy
from marketdata.clients.throttle import UpstreamThrottle
from marketdata.domain import DailyBar, Dividend, OptionSnapshot, StockSplit, TickerDetails
from marketdata.exceptions import MalformedResponse, TickerNotFound

logger = logging.getLogger("marketdata.clients.massive")

CHAIN_PAGE_SIZE = 250  # the provider's maximum
BARS_LIMIT = 50_000  # the provider's maximum: five years of daily bars in one request
SPLITS_PAGE_SIZE = 1000  # the provider's maximum
DIVIDENDS_PAGE_SIZE = 1000  # the provider's maximum
UNIVERSAL_TICKERS_MAX = 250  # the universal snapshot's limit for ticker.any_of and for a page
# The stocks snapshot takes its tickers in the URL: batches keep the query well under the
# ~8 KB request lines servers accept (2,000 characters: ~300 symbols per call).
MAX_TICKERS_IN_URL = 2000


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
        return typed(records, daily_bar_from_agg, endpoint="aggs", symbol=ticker)

    def get_grouped_daily(self, session: date, *, deadline: Deadline | None = None) -> dict[str, DailyBar]:
        """Every US stock's adjusted bar of one completed session, by ticker (one request).

        The bars carry the asked session: grouped daily's `t` is the end of its window, so it
        is never read as the session. A date with no session answers no bars.
        """
        with self.rest.scope("grouped_daily", "market", deadline):
            records = self.rest.get_grouped_daily_aggs(session, adjusted=True)
        if not isinstance(records, list):
            raise MalformedResponse("Massive sent a grouped daily answer mojo cannot read.")
        bars = typed(
            records, lambda agg: grouped_bar_from_agg(agg, session), endpoint="grouped_daily", symbol="market"
        )
        return dict(bars)

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
            day_bars = typed(
                records, lambda snapshot: snapshot_day_bar(snapshot, session), endpoint="stocks_snapshot",
                symbol="market",
            )  # fmt: skip
            bars.update((ticker, bar) for ticker, bar in day_bars if bar is not None)
        return bars

    def list_splits(self, *, since: date, deadline: Deadline | None = None) -> list[StockSplit]:
        """Every split of the market executed on or after `since`, oldest first (all pages)."""
        with self.rest.scope("splits", "market", deadline):
            records = list(
                self.rest.list_splits(
                    execution_date_gte=since, limit=SPLITS_PAGE_SIZE, sort="execution_date", order="asc"
                )
            )
        return typed(records, split_from_model, endpoint="splits", symbol="market")

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

        return typed(records, convert, endpoint="options_chain", symbol=ticker)

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

        return typed([record], convert, endpoint="option_contract", symbol=option_ticker)[0]

    def get_option_snapshots(
        self, contracts: Mapping[str, str], *, deadline: Deadline | None = None
    ) -> dict[str, OptionSnapshot | MojoError]:
        """Snapshots of many contracts (option ticker → underlying), one universal-snapshot call per 250.

        A contract the provider cannot answer gets its per-ticker error (TickerNotFound for
        NOT_FOUND, or one it left out) instead of failing the others; NotEntitled when the
        plan lacks the endpoint.
        """
        found: dict[str, OptionSnapshot | MojoError] = {}
        tickers = list(contracts)

        def convert(model: Any) -> tuple[str, OptionSnapshot | MojoError]:
            ticker = model.ticker
            if not isinstance(ticker, str) or ticker not in contracts:
                raise ValueError(f"ticker {ticker!r} was not asked for")
            if model.error:
                return ticker, per_ticker_error(ticker, model.error, model.message)
            return ticker, universal_option_snapshot(model, underlying=contracts[ticker])

        for start in range(0, len(tickers), UNIVERSAL_TICKERS_MAX):
            batch = tickers[start : start + UNIVERSAL_TICKERS_MAX]
            with self.rest.scope("universal_snapshot", "market", deadline):
                records = list(
                    self.rest.list_universal_snapshots(ticker_any_of=batch, limit=UNIVERSAL_TICKERS_MAX)
                )
            found.update(typed(records, convert, endpoint="universal_snapshot", symbol="market"))
        for ticker in tickers:
            found.setdefault(ticker, TickerNotFound(f"Massive does not know {ticker}."))
        return found

    def get_ticker_details(self, ticker: str, *, deadline: Deadline | None = None) -> TickerDetails:
        """What the provider says `ticker` is (one request); TickerNotFound when it does not know it."""
        with self.rest.scope("ticker_details", ticker, deadline):
            model = self.rest.get_ticker_details(ticker)
        return typed([model], ticker_details_from_model, endpoint="ticker_details", symbol=ticker)[0]

    def list_dividends(
        self, *, ex_dividend_date_gte: date, ticker: str | None = None, deadline: Deadline | None = None
    ) -> list[Dividend]:
        """Declared dividends going ex on or after a date, oldest first (all pages of 1,000).

        Of one `ticker`, or of the whole market when it is None; [] when none is declared.
        """
        symbol = ticker or "market"
        with self.rest.scope("dividends", symbol, deadline):
            records = list(
                self.rest.list_dividends(
                    ticker=ticker,
                    ex_dividend_date_gte=ex_dividend_date_gte,
                    limit=DIVIDENDS_PAGE_SIZE,
                    sort="ex_dividend_date",
                    order="asc",
                )
            )
        return typed(records, dividend_from_model, endpoint="dividends", symbol=symbol)


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
