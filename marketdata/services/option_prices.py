"""Option prices: one contract's snapshot, priced by the spec's priority (mid, bid, ask, close)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import clock, datasets, occ, option_analytics, presentation
from marketdata.cache import Cached
from marketdata.domain import OptionSnapshot
from marketdata.exceptions import InvalidOptionTicker
from marketdata.option_analytics import AnalysedContract
from marketdata.responses import OptionQuote
from marketdata.services.meta import meta_of
from marketdata.symbols import Symbol, normalize_symbol


def option_price_get(
    underlying: str,
    option_ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
) -> Cached[dict[str, Any]]:
    """One contract's snapshot with its price by the spec's priority (mid, bid, ask, close)."""
    cached = datasets.OPTION_PRICE.get(
        option_contract(underlying, option_ticker), force=force_refresh, deadline=deadline
    )
    return with_price(cached)


def option_contract(underlying: str, option_ticker: str) -> tuple[Symbol, str]:
    """(symbol, canonical option ticker) of a contract on `underlying`; raises when it is not one."""
    symbol = normalize_symbol(underlying)
    parsed = occ.parse(option_ticker)
    if not occ.root_belongs_to(parsed.root, symbol):
        raise occ_mismatch(option_ticker, symbol)
    return symbol, occ.build(parsed.root, parsed.expiration, parsed.contract_type, parsed.strike)


def with_price(quote: Cached[dict[str, Any]]) -> Cached[dict[str, Any]]:
    """A contract snapshot with `price` and `price_source` by the spec's priority."""
    contract = OptionSnapshot.from_payload(quote.value)
    price, source = option_analytics.option_price(contract.bid, contract.ask, contract.day_close)
    return Cached(
        {**quote.value, "price": price, "price_source": source}, quote.as_of, quote.cached, quote.stale
    )


def occ_mismatch(option_ticker: str, symbol: str) -> MojoError:
    """The error for an option ticker whose root is another symbol's."""
    return InvalidOptionTicker(
        f"{option_ticker} is not an option on {symbol}.",
        details={"option_ticker": option_ticker[:32], "symbol": symbol},
    )


def underlying_of(option_ticker: str) -> str:
    """The stock symbol an option ticker's root belongs to (root without its adjustment digit)."""
    root = occ.parse(option_ticker).root
    base = root[:-1] if root[-1].isdigit() else root
    return normalize_symbol(base)


def option_quote(
    option_ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> OptionQuote:
    """One contract's live price, quote and greeks (computed when the provider sent none)."""
    underlying = underlying_of(option_ticker)
    quote = option_price_get(underlying, option_ticker, force_refresh=force_refresh, deadline=deadline)
    contract = OptionSnapshot.from_payload(quote.value)
    spot = contract.underlying_price
    analysed = (
        option_analytics.analyze_contract(
            contract, spot=spot, today=clock.market_today(), rate=settings.RISK_FREE_RATE
        )
        if spot
        else None
    )
    # Without a spot there is no analysis: the provider's own figures, as they came.
    source: AnalysedContract | OptionSnapshot = analysed if analysed is not None else contract
    response: OptionQuote = {
        "option_ticker": contract.option_ticker,
        "underlying": underlying,
        "price": quote.value["price"],
        "price_source": quote.value["price_source"],
        "bid": contract.bid,
        "ask": contract.ask,
        "delta": source.delta,
        "gamma": source.gamma,
        "theta": source.theta,
        "vega": source.vega,
        "greeks_source": analysed.greeks_source
        if analysed is not None
        else ("provider" if contract.delta is not None else None),
        "iv": analysed.iv if analysed is not None else contract.implied_volatility,
        "dte": (contract.expiration - clock.market_today()).days,
        "meta": meta_of(quote),
    }
    return presentation.rounded(response)
