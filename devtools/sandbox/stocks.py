"""Massive's market-wide stock endpoints as the sandbox serves them: grouped daily and the snapshot.

Both are views of the same bars as the per-symbol aggregates (`data.daily_bars`), adjusted for
the splits executed by the request's today, as of the request's moment:

- grouped daily (`/v2/aggs/grouped/locale/us/market/stocks/{date}`) answers one *completed*
  session for the whole universe, each row's `t` at 16:00 New York, the aggregate window's end;
- the snapshot (`/v2/snapshot/locale/us/markets/stocks/tickers`) answers today so far: an
  all-zero `day` before the open (the provider clears it overnight), the partial bar in session,
  the whole session after the close; unknown tickers are left out.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from devtools.sandbox import data
from devtools.sandbox.wire import BadRequest, Request, Response, adjusted_param, json_response, request_id

GROUPED_PATH = re.compile(r"^/v2/aggs/grouped/locale/us/market/stocks/(?P<day>[^/]+)/?$")


SNAPSHOT_PATH = re.compile(r"^/v2/snapshot/locale/us/markets/stocks/tickers/?$")


# The quoted spread as a fraction of the price, by liquidity.
_SPREAD: dict[str, float] = {"liquid": 0.0002, "normal": 0.0006, "illiquid": 0.003}


# The day before anything traded: what the snapshot shows between its overnight reset and the open.
ZERO_DAY: dict[str, float] = {"o": 0, "h": 0, "l": 0, "c": 0, "v": 0, "vw": 0}


def grouped_daily(request: Request, *, day: str) -> Response:
    """`GET /v2/aggs/grouped/locale/us/market/stocks/{date}`: every symbol's bar of that session.

    A day that is no session, lies ahead, or is today's session before its close answers
    `resultsCount: 0` and no `results` key, as the aggregates do for an empty window.
    """
    try:
        session = date.fromisoformat(day)
    except ValueError:
        raise BadRequest(f"Could not parse the date parameter: '{day}'. Use YYYY-MM-DD.") from None
    adjusted = adjusted_param(request.query)
    rows = data.grouped_daily(
        session,
        request.today,
        request.now,
        adjusted=adjusted,
        splits=request.splits,
        symbols=request.universe,
    )
    payload: dict[str, Any] = {"queryCount": len(rows), "resultsCount": len(rows), "adjusted": adjusted}
    if rows:
        payload["results"] = rows
    payload["status"] = "OK"
    payload["request_id"] = request_id()
    return json_response(payload)


def stocks_snapshot(request: Request) -> Response:
    """`GET /v2/snapshot/locale/us/markets/stocks/tickers?tickers=A,B`: the listed known tickers
    (case-sensitive, in the order asked), or the whole universe when `tickers` is absent or empty."""
    raw = request.query.get("tickers", "")
    asked = [ticker.strip() for ticker in raw.split(",") if ticker.strip()]
    universe = request.universe
    symbols = [s for s in dict.fromkeys(asked) if s in universe] if asked else list(universe)
    tickers = [ticker_snapshot(symbol, request) for symbol in symbols]
    return json_response(
        {"count": len(tickers), "request_id": request_id(), "status": "OK", "tickers": tickers}
    )


@dataclass(frozen=True, slots=True)
class _Moment:
    """Where one symbol stands: today's bar so far (None before the open) and the one before."""

    day: dict[str, Any] | None
    previous: dict[str, Any]
    at: datetime  # the last trade's moment, roughly: now in session, else the last close
    since: datetime  # when the session the last trade belongs to opened

    @property
    def price(self) -> float:
        return float((self.day or self.previous)["c"])


def _moment(symbol: str, request: Request) -> _Moment:
    bars = data.daily_bars(symbol, request.today, request.now, splits=request.splits, last=2)
    now, hours = request.now, data.session_hours(request.today)
    if now is not None and hours is not None and now.astimezone(data.NEW_YORK).date() == request.today:
        if now < hours[0]:  # today's bar is not there yet: the zero day, yesterday's close last
            opened, closed = _hours_of(bars[-1])
            return _Moment(day=None, previous=bars[-1], at=closed, since=opened)
        if now < hours[1]:  # in session: today's partial bar, traded just now
            return _Moment(day=bars[-1], previous=bars[-2], at=now, since=hours[0])
    opened, closed = _hours_of(bars[-1])
    return _Moment(day=bars[-1], previous=bars[-2], at=closed, since=opened)


def _hours_of(bar: dict[str, Any]) -> tuple[datetime, datetime]:
    hours = data.session_hours(data.session_of(bar["t"]))
    if hours is None:
        raise ValueError(f"bar {bar['t']} is not on a session")  # bars only fall on sessions
    return hours


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _daily(bar: dict[str, Any]) -> dict[str, Any]:
    return {key: bar[key] for key in ("o", "h", "l", "c", "v", "vw")}


def ticker_snapshot(symbol: str, request: Request) -> dict[str, Any]:
    """One ticker's snapshot record in the provider's shape (camelCase keys, ns timestamps)."""
    moment = _moment(symbol, request)
    rng = random.Random(_seed(symbol, moment.at.isoformat()))
    price = moment.price
    trade_ns = max(_ns(moment.at) - rng.randint(5, 3_000) * 1_000_000, _ns(moment.since))
    quote_ns = max(trade_ns, _ns(moment.at) - rng.randint(0, 400) * 1_000_000)
    change = round(price - moment.previous["c"], 4)
    return {
        "day": _daily(moment.day) if moment.day is not None else dict(ZERO_DAY),
        "lastQuote": _quote(rng, price, request.universe.profiles[symbol].liquidity, quote_ns),
        "lastTrade": {
            "c": rng.choice(([], [14, 41], [37], [12, 37])),
            "i": str(rng.randint(10**13, 10**14 - 1)),
            "p": price,
            "s": rng.choice((1, 5, 10, 25, 50, 100, 100, 100, 200, 500)),
            "t": trade_ns,
            "x": rng.choice((4, 8, 10, 11, 12, 15, 19, 21)),
        },
        "min": _minute(rng, price, moment, trade_ns),
        "prevDay": _daily(moment.previous),
        "ticker": symbol,
        "todaysChange": change,
        "todaysChangePerc": round(change / moment.previous["c"] * 100, 4),
        "updated": quote_ns,
    }


def _quote(rng: random.Random, price: float, liquidity: str, at_ns: int) -> dict[str, Any]:
    half = max(0.005, price * _SPREAD[liquidity] / 2)
    bid = max(0.01, round(price - half, 2))
    ask = max(round(price + half, 2), round(bid + 0.01, 2))
    depth = 4 if liquidity == "illiquid" else 40
    return {"P": ask, "S": rng.randint(1, depth), "p": bid, "s": rng.randint(1, depth), "t": at_ns}


def _minute(rng: random.Random, price: float, moment: _Moment, trade_ns: int) -> dict[str, Any]:
    """The minute bar of the last trade; `av` is the session's volume so far."""
    session = moment.day or moment.previous
    wiggle = price * 0.0008
    opened = round(price + rng.uniform(-1, 1) * wiggle, 2)
    high = round(max(opened, price) + rng.uniform(0, 1) * wiggle, 2)
    low = round(min(opened, price) - rng.uniform(0, 1) * wiggle, 2)
    high, low = max(high, opened, price), min(low, opened, price)
    volume = float(max(100, round(session["v"] / 390 * rng.uniform(0.4, 1.6))))
    return {
        "av": int(session["v"]),
        "o": opened,
        "h": high,
        "l": low,
        "c": price,
        "v": volume,
        "vw": round((high + low + price) / 3, 4),
        "t": trade_ns // 60_000_000_000 * 60_000,
        "n": max(1, int(volume / 120)),
    }


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")
