"""The dashboard's portfolio risk and expected moves through the API (sandbox prices, real Redis).

Hand sums are made from what the trades endpoint shows of the same trades, betas with numpy
from the stored bars; the expected move from the cached chain's own contracts.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from rest_framework.test import APIClient

from marketdata import clock, datasets, occ, services
from marketdata.history import BENCHMARK_SYMBOL
from marketdata.models import SessionBar
from marketdata.symbols import Symbol
from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory
from tests.shapes import assert_documented, assert_rounded
from watchlist.serializers import DashboardSerializer
from watchlist.trades import LegInput, trade_close, trade_open

pytestmark = pytest.mark.django_db

MONTHLY = date(2026, 12, 18)  # December's third Friday, 24 days from the sandbox's today
NO_SUCH_CALL = occ.build("AAPL", MONTHLY, "call", 1234.0)  # not in the sandbox's chain: no quote


@pytest.fixture
def user():
    return UserFactory.create()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _quoted(symbol: str, contract_type: str):
    """A contract of the sandbox's chain, at least 20 days out, with a quote and greeks."""
    chain = services.options_chain_get(symbol).value
    return next(
        c
        for c in services.chain_contracts(chain)
        if c.contract_type == contract_type
        and c.bid
        and c.ask
        and c.delta is not None
        and (c.expiration - clock.market_today()).days > 20
    )


def _option(option_ticker: str, quantity: int, price: str) -> LegInput:
    return LegInput(
        instrument="option", option_ticker=option_ticker, quantity=quantity, entry_price=Decimal(price)
    )


def _shares(quantity: int, price: str) -> LegInput:
    return LegInput(instrument="stock", quantity=quantity, entry_price=Decimal(price))


@pytest.fixture
def book(user) -> dict[str, int]:
    """Open trades on AAPL, MSFT and SPY (one naked call, one contract without a quote), one closed."""
    for symbol in ("AAPL", "MSFT", BENCHMARK_SYMBOL):
        TickerFactory.create(symbol=symbol)
    services.history_sync(["AAPL", "MSFT", BENCHMARK_SYMBOL], now=clock.now())
    put, call = _quoted("AAPL", "put"), _quoted("MSFT", "call")
    opened = {
        "shares": trade_open(user=user, symbol="AAPL", strategy="stock", legs=[_shares(100, "250")]),
        "csp": trade_open(
            user=user, symbol="AAPL", strategy="csp", legs=[_option(put.option_ticker, -2, "4")]
        ),
        "naked_call": trade_open(
            user=user, symbol="MSFT", strategy="other", legs=[_option(call.option_ticker, -1, "6")]
        ),
        "spy": trade_open(user=user, symbol=BENCHMARK_SYMBOL, strategy="stock", legs=[_shares(10, "600")]),
        "unquoted": trade_open(
            user=user, symbol="AAPL", strategy="other", legs=[_option(NO_SUCH_CALL, 1, "1")]
        ),
    }
    closed = trade_open(user=user, symbol="MSFT", strategy="stock", legs=[_shares(5, "400")])
    (leg,) = closed.legs.all()
    trade_close(trade=closed, exit_prices={leg.pk: Decimal("410")})
    return {name: trade.pk for name, trade in opened.items()}


def _figures(api: APIClient) -> dict[int, dict]:
    return {trade["id"]: trade for trade in api.get("/api/v1/trades/?status=open").json()["results"]}


def _numpy_beta(symbol: str) -> tuple[float, float]:
    """β of the stored bars' last 61 sessions (numpy), and the last session's close / SPY's."""
    rows = SessionBar.objects.filter(symbol__in=[symbol, BENCHMARK_SYMBOL], session__lte=clock.market_today())
    closes: dict[str, dict[date, float]] = {}
    for bar in rows:
        closes.setdefault(bar.symbol, {})[bar.session] = bar.close
    dates = sorted(closes[symbol].keys() & closes[BENCHMARK_SYMBOL].keys())[-61:]
    a = np.diff(np.log([closes[symbol][d] for d in dates]))
    b = np.diff(np.log([closes[BENCHMARK_SYMBOL][d] for d in dates]))
    return float(np.cov(a, b)[0, 1] / np.var(b, ddof=1)), closes[symbol][dates[-1]] / closes[
        BENCHMARK_SYMBOL
    ][dates[-1]]


def test_beta_weighted_delta_is_the_hand_computed_sum_in_spy_shares(api, book) -> None:
    portfolio = api.get("/api/v1/dashboard/").json()["portfolio"]
    figures = _figures(api)
    weights = {"AAPL": _numpy_beta("AAPL"), "MSFT": _numpy_beta("MSFT"), BENCHMARK_SYMBOL: (1.0, 1.0)}

    by_hand = math.fsum(
        figures[book[name]]["greeks"]["delta"] * weights[symbol][0] * weights[symbol][1]
        for name, symbol in (("shares", "AAPL"), ("csp", "AAPL"), ("naked_call", "MSFT"), ("spy", "SPY"))
    )

    assert portfolio["beta_weighted_delta"] == pytest.approx(by_hand, abs=0.005)
    assert portfolio["unweighted_trades"] == [book["unquoted"]]  # no delta without a quote
    assert portfolio["betas"] == {
        "AAPL": round(weights["AAPL"][0], 4),
        "MSFT": round(weights["MSFT"][0], 4),
        "SPY": 1.0,
    }


def test_capital_at_risk_sums_finite_max_losses_and_lists_the_unlimited_ones(api, book) -> None:
    portfolio = api.get("/api/v1/dashboard/").json()["portfolio"]
    figures = _figures(api)

    finite = [trade["max_loss"] for trade in figures.values() if trade["max_loss"] is not None]
    assert portfolio["capital_at_risk"] == pytest.approx(math.fsum(finite), abs=0.005)
    assert portfolio["unlimited_risk_trades"] == [book["naked_call"]]
    assert portfolio["by_strategy"]["other"]["unlimited_risk_trades"] == [book["naked_call"]]
    assert portfolio["by_strategy"]["csp"]["capital_at_risk"] == figures[book["csp"]]["max_loss"]


def test_greek_totals_sum_the_known_ones_and_list_the_trades_without(api, book) -> None:
    portfolio = api.get("/api/v1/dashboard/").json()["portfolio"]
    figures = _figures(api)

    for greek in ("delta", "gamma", "theta", "vega"):
        known = [trade["greeks"][greek] for trade in figures.values() if trade["greeks"][greek] is not None]
        assert portfolio[greek] == pytest.approx(math.fsum(known), abs=1e-6), greek
    assert figures[book["unquoted"]]["greeks"]["delta"] is None
    assert portfolio["greeks_unknown_trades"] == [book["unquoted"]]
    stock = portfolio["by_strategy"]["stock"]
    assert (stock["delta"], stock["gamma"], stock["open_trades"]) == (110.0, 0.0, 2)  # the closed one's gone


def test_a_watched_row_shows_the_expected_move_of_its_cached_chain(api, user) -> None:
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="MSFT"))
    chain = services.options_chain_get("AAPL").value  # cron keeps chains warm
    spot = chain["spot"]
    at_monthly = [c for c in services.chain_contracts(chain) if c.expiration == MONTHLY]
    strikes = {c.strike for c in at_monthly if c.contract_type == "call"}
    strikes &= {c.strike for c in at_monthly if c.contract_type == "put"}
    strike = min(strikes, key=lambda k: (abs(k - spot), k))
    call, put = (
        next(c for c in at_monthly if c.strike == strike and c.contract_type == t) for t in ("call", "put")
    )

    rows = {row["symbol"]: row for row in api.get("/api/v1/dashboard/").json()["watchlist"]}

    iv = (call.implied_volatility + put.implied_volatility) / 2
    assert rows["AAPL"]["expected_move"] == {
        "expiration": "2026-12-18",
        "dte": 24,
        "by_iv": round(spot * iv * math.sqrt(24 / 365), 4),
        "by_straddle": round((call.bid + call.ask) / 2 + (put.bid + put.ask) / 2, 4),
    }
    assert rows["MSFT"]["expected_move"] is None  # no chain cached: never fetched on request


def test_a_summary_cached_before_the_expected_move_was_stored_reads_as_none(api, user) -> None:
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))
    old = {"spot": 280.0, "atm_iv": 0.3, "signal_expirations": {}, "as_of_date": "2026-11-24"}
    datasets.OPTIONS_SUMMARY.store(Symbol("AAPL"), old)

    (row,) = api.get("/api/v1/dashboard/").json()["watchlist"]

    assert row["expected_move"] is None and row["error"] is None


def test_the_risk_fields_are_documented_and_rounded(api, user, book) -> None:
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))

    body = api.get("/api/v1/dashboard/").json()

    assert body["watchlist"][0]["expected_move"] is not None
    assert_documented(body, DashboardSerializer())
    assert_rounded(body, DashboardSerializer())


def test_without_trades_the_portfolio_holds_no_risk(api) -> None:
    portfolio = api.get("/api/v1/dashboard/").json()["portfolio"]
    assert portfolio == {
        "delta": 0.0,
        "gamma": 0.0,
        "theta": 0.0,
        "vega": 0.0,
        "greeks_unknown_trades": [],
        "capital_at_risk": 0.0,
        "unlimited_risk_trades": [],
        "beta_weighted_delta": 0.0,
        "unweighted_trades": [],
        "betas": {},
        "by_strategy": {},
    }
