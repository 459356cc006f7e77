"""Massive's universal snapshot (`GET /v3/snapshot`) as the sandbox serves it: stocks and options mixed.

Each result is built from what the narrower endpoints answer at the same moment, so the two
never disagree: an option is its contract snapshot (`chain.contract_record`: the same bid, ask,
greeks, IV, open interest, day and underlying price, live splits included), a stock its stocks
snapshot record (`stocks.ticker_snapshot`: today so far, the zero day before the open). A ticker
the sandbox cannot answer (an unknown stock, an unknown or expired contract, another asset class)
comes back in place as `{"ticker", "error": "NOT_FOUND", "message"}`, not as a failed call.

Results are sorted by ticker and paginated with absolute `next_url` cursors that carry the
parameters. Without `ticker.any_of` (or `ticker`) the results are the universe's stocks: the
sandbox lists contracts only by name.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.chain import contract_record
from devtools.sandbox.stocks import ticker_snapshot
from devtools.sandbox.wire import (
    RANGE_OPS,
    BadRequest,
    Request,
    Response,
    encode_cursor,
    int_param,
    json_response,
    list_params,
    request_id,
)

UNIVERSAL_PATH = re.compile(r"^/v3/snapshot/?$")


UNIVERSAL_LIMIT_DEFAULT = 10


UNIVERSAL_LIMIT_MAX = 250


ANY_OF_MAX = 250


UNIVERSAL_PARAMS = frozenset(
    {"ticker.any_of", "type", "limit", "order", "sort"} | {f"ticker{op}" for op in RANGE_OPS}
)


# Asset classes by ticker prefix (Massive's: O: options, C: fx, X: crypto, I: indices); no prefix: stocks.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("O:", "options"),
    ("C:", "fx"),
    ("X:", "crypto"),
    ("I:", "indices"),
)
ASSET_TYPES = ("stocks", "options", "fx", "crypto", "indices")


# Extended hours, New York: stocks trade from 4:00 before the open and until 20:00 after the close.
_EARLY_FROM = time(4, 0)
_LATE_UNTIL = time(20, 0)


# Option roots back to their underlying (BRKB → BRK.B); a generated symbol is its own root.
_UNDERLYING_OF_ROOT = {profile.option_root: symbol for symbol, profile in data.UNIVERSE.items()}


_OPTION_TAIL = 6 + 1 + 8  # YYMMDD, C|P, strike × 1000 in 8 digits


_DETAILS_KEYS = ("contract_type", "exercise_style", "expiration_date", "shares_per_contract", "strike_price")


# The contract snapshot's `day` as a session: its vwap and last_updated have no place there.
_SESSION_KEYS = ("change", "change_percent", "close", "high", "low", "open", "previous_close", "volume")


def asset_type(ticker: str) -> str:
    """The asset class a ticker names, by its prefix."""
    return next((kind for prefix, kind in _PREFIXES if ticker.startswith(prefix)), "stocks")


def _asked(params: dict[str, str], request: Request) -> list[str]:
    """The tickers asked for, each once (the universe's stocks when none are)."""
    raw = params.get("ticker.any_of", "")
    if (single := params.get("ticker")) is not None:
        raw = f"{raw},{single}"
    asked = list(dict.fromkeys(t.strip() for t in raw.split(",") if t.strip()))
    if len(asked) > ANY_OF_MAX:
        raise BadRequest(f"ticker.any_of accepts at most {ANY_OF_MAX} tickers, not {len(asked)}.")
    return asked or list(request.universe)


def _selected(params: dict[str, str], request: Request) -> list[str]:
    """The tickers of the answer, filtered and sorted, before pagination."""
    kind = params.get("type")
    if kind is not None and kind not in ASSET_TYPES:
        raise BadRequest(f"type must be one of {', '.join(ASSET_TYPES)}.")
    if params.get("sort", "ticker") != "ticker":
        raise BadRequest("sort must be ticker.")
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        raise BadRequest("order must be asc or desc.")
    bounds = [
        (compare, params[f"ticker{op}"])
        for op, compare in RANGE_OPS.items()
        if op and f"ticker{op}" in params
    ]
    tickers = [
        ticker
        for ticker in _asked(params, request)
        if (kind is None or asset_type(ticker) == kind) and all(test(ticker, b) for test, b in bounds)
    ]
    return sorted(tickers, reverse=order == "desc")


def universal_snapshot(request: Request) -> Response:
    """`GET /v3/snapshot?ticker.any_of=A,O:…`: one result per ticker, data or an error in place."""
    params, offset = list_params(request, UNIVERSAL_PARAMS)
    limit = int_param(params, "limit", UNIVERSAL_LIMIT_DEFAULT, 1, UNIVERSAL_LIMIT_MAX)
    selected = _selected(params, request)
    payload: dict[str, Any] = {
        "request_id": request_id(),
        "results": [_result(ticker, request) for ticker in selected[offset : offset + limit]],
        "status": "OK",
    }
    if offset + limit < len(selected):
        cursor = encode_cursor(params, offset + limit)
        payload["next_url"] = f"{request.host_url}/v3/snapshot?cursor={cursor}"
    return json_response(payload)


def _result(ticker: str, request: Request) -> dict[str, Any]:
    kind = asset_type(ticker)
    if kind == "stocks" and ticker in request.universe:
        return stock_result(ticker, request)
    if kind == "options":
        root = ticker[len("O:") : -_OPTION_TAIL]
        underlying = _UNDERLYING_OF_ROOT.get(root, root)
        record = contract_record(request, underlying, ticker) if underlying else None
        if record is not None:
            return option_result(record, request)
    return {"ticker": ticker, "error": "NOT_FOUND", "message": "Ticker not found."}


def market_status(request: Request, *, extended: bool) -> str:
    """open, closed, or (stocks: `extended`) early_trading / late_trading at the request's moment.

    Without a moment (only today pinned) the sandbox answers as of the close: closed.
    """
    now, hours = request.now, data.session_hours(request.today)
    if now is None or hours is None or now.astimezone(data.NEW_YORK).date() != request.today:
        return "closed"
    if hours[0] <= now < hours[1]:
        return "open"
    local = now.astimezone(data.NEW_YORK).time()
    if extended and local >= _EARLY_FROM and now < hours[0]:
        return "early_trading"
    if extended and now >= hours[1] and local < _LATE_UNTIL:
        return "late_trading"
    return "closed"


def stock_result(symbol: str, request: Request) -> dict[str, Any]:
    """A stock's result: its stocks snapshot record (today so far) in the universal shape."""
    snapshot = ticker_snapshot(symbol, request)
    day, quote, trade = snapshot["day"], snapshot["lastQuote"], snapshot["lastTrade"]
    return {
        "last_quote": {
            "ask": quote["P"],
            "ask_size": quote["S"],
            "bid": quote["p"],
            "bid_size": quote["s"],
            "last_updated": quote["t"],
            "midpoint": round((quote["P"] + quote["p"]) / 2, 4),
            "timeframe": "REAL-TIME",
        },
        "last_trade": {
            "conditions": trade["c"],
            "exchange": trade["x"],
            "id": trade["i"],
            "last_updated": trade["t"],
            "price": trade["p"],
            "size": trade["s"],
            "timeframe": "REAL-TIME",
        },
        "market_status": market_status(request, extended=True),
        "name": request.universe.profiles[symbol].name,
        "session": {
            "change": snapshot["todaysChange"],
            "change_percent": snapshot["todaysChangePerc"],
            "close": day["c"],
            "high": day["h"],
            "low": day["l"],
            "open": day["o"],
            "previous_close": snapshot["prevDay"]["c"],
            "price": trade["p"],
            "volume": day["v"],
        },
        "ticker": symbol,
        "type": "stocks",
    }


def option_result(record: dict[str, Any], request: Request) -> dict[str, Any]:
    """A contract's result: its contract snapshot record in the universal shape."""
    details, day = record["details"], record["day"]
    kind = details["contract_type"]
    underlying = record["underlying_asset"]["ticker"]
    result: dict[str, Any] = {
        "break_even_price": record["break_even_price"],
        # The universal shape's details leave the ticker out (it is the result's own).
        "details": {key: details[key] for key in _DETAILS_KEYS},
        "market_status": market_status(request, extended=False),
        "name": f"{underlying} ${details['strike_price']} {kind.capitalize()}",
        "open_interest": record["open_interest"],
        "session": {key: day[key] for key in _SESSION_KEYS},
        "ticker": details["ticker"],
        "type": "options",
        "underlying_asset": dict(record["underlying_asset"]),
    }
    # The contract snapshot's empty `greeks: {}` is left out here: this schema requires all four.
    if greeks := record.get("greeks"):
        result["greeks"] = dict(greeks)
    if "implied_volatility" in record:
        result["implied_volatility"] = record["implied_volatility"]
    if (quote := record.get("last_quote")) is not None:
        # This schema requires an ask: a bid-only quote's missing side is written as 0.
        result["last_quote"] = {"ask": 0, **quote}
    if (trade := record.get("last_trade")) is not None:
        result["last_trade"] = dict(trade)
    return dict(sorted(result.items()))
