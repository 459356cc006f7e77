"""One spot per symbol: the latest quote mojo has, and when and where it was quoted.

The stock data entry is the latest quote (its bars end with the session's partial bar while
the NYSE is open, and it is the shortest-lived entry). A chain's own underlying price is as
old as the chain; analyses of the chain keep it (`chain_spot`, `chain_as_of`), and it stands
in as the spot only when no stock data can be had.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from core.deadline import Deadline
from marketdata import cache, datasets, market_hours
from marketdata.cache import Cached
from marketdata.exceptions import ProviderError
from marketdata.responses import ChainSpotFields, SpotFields
from marketdata.symbols import Symbol


def spot_of(stock: Cached[dict[str, Any]]) -> SpotFields:
    """The spot a stock data entry gives: its latest close, intraday while its session runs."""
    session = date.fromisoformat(stock.value["session"])
    intraday = market_hours.is_open(stock.as_of) and market_hours.market_date(stock.as_of) == session
    return {
        "spot": stock.value["price"],
        "spot_as_of": stock.as_of.isoformat(),
        "spot_source": "intraday" if intraday else "close",
    }


def chain_spot_of(chain: Cached[dict[str, Any]]) -> ChainSpotFields:
    """The underlying price and fetch time a chain's analyses were computed at."""
    return {"chain_spot": chain.value["spot"], "chain_as_of": chain.as_of.isoformat()}


def spot_get(
    symbol: Symbol,
    *,
    chain: Cached[dict[str, Any]],
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> SpotFields:
    """The symbol's latest quote; the chain's underlying price when no stock data can be had."""
    try:
        stock = datasets.STOCK.get(symbol, force=force_refresh, deadline=deadline, entry=entry)
    except ProviderError:
        return {"spot": chain.value["spot"], "spot_as_of": chain.as_of.isoformat(), "spot_source": "chain"}
    return spot_of(stock)
