"""Dashboard and live position valuation through the API (sandbox prices, real Redis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from marketdata import cache, clock, occ, services
from tests.factories import PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory
from tests.shapes import assert_documented, assert_rounded
from watchlist.models import Position
from watchlist.serializers import DashboardSerializer, PositionValuedSerializer
from watchlist.trades import LegInput, trade_close, trade_open

pytestmark = pytest.mark.django_db

PNL_KEYS = ("open_trades", "realised_pnl", "unrealised_pnl")  # beside them, risk: test_dashboard_risk.py


@pytest.fixture
def user():
    return UserFactory.create()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _contract(symbol: str, *, contract_type: str, with_quote: bool = True):
    chain = services.options_chain_get(symbol).value
    return next(
        c
        for c in services.chain_contracts(chain)
        if c.contract_type == contract_type
        and (bool(c.bid and c.ask) == with_quote)
        and c.delta is not None
        and (c.expiration - clock.market_today()).days > 20
    )


def test_stock_position_pnl_is_exact_to_the_cent(api, user) -> None:
    ticker = TickerFactory.create(symbol="AAPL")
    position = PositionFactory.create(
        owner=user,
        ticker=ticker,
        instrument="stock",
        quantity=10,
        multiplier=1,
        entry_price=Decimal("200.00"),
        strategy="stock",
        option_ticker=None,
    )
    price = Decimal(str(services.stock_data_get("AAPL").value["price"]))
    body = api.get(f"/api/v1/positions/{position.pk}/").json()
    assert body["price_source"] == "close"
    assert Decimal(str(body["unrealised_pnl"])) == ((price - Decimal("200.00")) * 10).quantize(
        Decimal("0.01")
    )
    assert Decimal(str(body["position_delta"])) == Decimal(10)


def test_valued_positions_show_every_number_by_the_rounding_policy(api, user) -> None:
    ticker = TickerFactory.create(symbol="AAPL")
    contract = _contract("AAPL", contract_type="put")
    PositionFactory.create(owner=user, ticker=ticker, instrument="stock", option_ticker=None, quantity=7,
                           multiplier=1, entry_price=Decimal("201.1234"), strategy="stock")  # fmt: skip
    option = PositionFactory.create(owner=user, ticker=ticker, instrument="option",
                                    option_ticker=contract.option_ticker, quantity=-3, multiplier=100,
                                    entry_price=Decimal("3.3333"), strategy="csp")  # fmt: skip

    listed = api.get("/api/v1/positions/").json()["results"]
    detail = api.get(f"/api/v1/positions/{option.pk}/").json()

    assert len(listed) == 2
    for body in (*listed, detail):
        assert_rounded(body, PositionValuedSerializer())


def test_short_option_pnl_uses_the_live_mid(api, user) -> None:
    contract = _contract("AAPL", contract_type="put")
    position = PositionFactory.create(
        owner=user,
        ticker=TickerFactory.create(symbol="AAPL"),
        instrument="option",
        option_ticker=contract.option_ticker,
        quantity=-2,
        multiplier=100,
        entry_price=Decimal("5.00"),
        strategy="csp",
    )
    body = api.get(f"/api/v1/positions/{position.pk}/").json()
    mid = (Decimal(str(contract.bid)) + Decimal(str(contract.ask))) / 2
    assert body["price_source"] == "mid"
    assert Decimal(str(body["unrealised_pnl"])) == ((mid - Decimal("5.00")) * -200).quantize(Decimal("0.01"))
    assert body["dte"] == (contract.expiration - clock.market_today()).days


def test_option_without_any_price_is_valued_at_entry(api, user, sandbox) -> None:
    ticker = TickerFactory.create(symbol="AAPL")
    expiration = date(2026, 12, 18)
    missing = occ.build("AAPL", expiration, "call", 1234.0)  # no such strike in the sandbox chain
    position = PositionFactory.create(
        owner=user,
        ticker=ticker,
        instrument="option",
        option_ticker=missing,
        quantity=1,
        multiplier=100,
        entry_price=Decimal("1.50"),
        strategy="leaps",
    )
    body = api.get(f"/api/v1/positions/{position.pk}/").json()
    assert (body["price_source"], body["unrealised_pnl"]) == ("entry", 0.0)


def test_expired_option_is_valued_at_intrinsic_from_the_expiration_close(api, user) -> None:
    ticker = TickerFactory.create(symbol="MSFT")
    stock = services.stock_bars_get("MSFT").value
    expiration = date(2026, 11, 20)
    close = services.close_on_or_before(stock, expiration)
    strike = round(close) + 10.0  # an in-the-money put
    position = PositionFactory.create(
        owner=user,
        ticker=ticker,
        instrument="option",
        option_ticker=occ.build("MSFT", expiration, "put", strike),
        quantity=1,
        multiplier=100,
        entry_price=Decimal("4.00"),
        strategy="other",
    )
    body = api.get(f"/api/v1/positions/{position.pk}/").json()
    intrinsic = Decimal(str(strike)) - Decimal(str(close))
    assert body["price_source"] == "expired"
    assert Decimal(str(body["unrealised_pnl"])) == ((intrinsic - Decimal("4.00")) * 100).quantize(
        Decimal("0.01")
    )


def test_closed_position_shows_realised_pnl(api, user) -> None:
    position = PositionFactory.create(
        owner=user,
        ticker=TickerFactory.create(symbol="AAPL"),
        instrument="stock",
        option_ticker=None,
        quantity=5,
        multiplier=1,
        entry_price=Decimal("100.00"),
        exit_price=Decimal("112.34"),
        closed_at=clock.now(),
        opened_at=clock.now(),
        strategy="stock",
    )
    body = api.get(f"/api/v1/positions/{position.pk}/").json()
    assert body["realised_pnl"] == 61.70
    assert body["unrealised_pnl"] is None


def test_dashboard_rows_and_positions_summary(api, user, sandbox) -> None:
    for symbol in ("AAPL", "MSFT"):
        WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol=symbol))
    services.options_chain_get("AAPL")  # cron keeps chains warm; the dashboard never fetches them
    PositionFactory.create(
        owner=user,
        ticker=Position._meta.get_field("ticker").related_model.objects.get(symbol="AAPL"),
        instrument="stock",
        option_ticker=None,
        quantity=100,
        multiplier=1,
        entry_price=Decimal("250"),
        strategy="stock",
    )
    body = api.get("/api/v1/dashboard/").json()
    rows = {row["symbol"]: row for row in body["watchlist"]}
    assert set(rows) == {"AAPL", "MSFT"}
    assert rows["AAPL"]["price"] == services.stock_data_get("AAPL").value["price"]
    assert rows["AAPL"]["signal_counts"] is not None
    assert rows["MSFT"]["signal_counts"] is None  # no chain cached: not fetched on request
    total = body["positions"]["total"]
    assert total["positions"] == 1 and total["net_delta"] == 100.0
    assert body["positions"]["by_strategy"]["stock"]["market_value"] == total["market_value"]


def test_dashboard_row_error_never_fails_the_page(api, user, sandbox) -> None:
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="MSFT"))
    sandbox.control.fault(path="/v2/aggs/ticker/MSFT/", kind="status", status=500, count=10)
    response = api.get("/api/v1/dashboard/")
    rows = {row["symbol"]: row for row in response.json()["watchlist"]}
    assert response.status_code == 200
    assert rows["AAPL"]["price"] is not None
    assert rows["MSFT"]["error"]["code"] == "provider_unavailable"


def test_dashboard_rows_hold_the_same_documented_fields_with_or_without_data(api, user, sandbox) -> None:
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="MSFT"))
    sandbox.control.fault(path="/v2/aggs/ticker/MSFT/", kind="status", status=500, count=10)
    body = api.get("/api/v1/dashboard/").json()
    assert_documented(body, DashboardSerializer())
    assert_rounded(body, DashboardSerializer())
    rows = {row["symbol"]: row for row in body["watchlist"]}
    assert set(rows["MSFT"]) == set(rows["AAPL"])
    assert rows["MSFT"]["sma_20"] is None and rows["AAPL"]["sma_20"] is not None


def cache_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, one item per cache round trip (`cache.read_many` call)."""
    calls: list[int] = []
    original = cache.read_many

    def counting(keys):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(keys)

    monkeypatch.setattr(cache, "read_many", counting)
    return calls


def test_cached_dashboard_reads_stock_entries_in_one_round_trip(api, user, sandbox, monkeypatch) -> None:
    symbols = ("AAPL", "MSFT", "NVDA")
    for symbol in symbols:
        WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol=symbol))
    api.get("/api/v1/dashboard/")  # warms stock data and earnings
    calls = cache_round_trips(monkeypatch)
    before = sandbox.control.counters()["total"]
    api.get("/api/v1/dashboard/")
    assert len(calls) == 1
    assert sandbox.control.counters()["total"] == before


def test_a_cached_dashboard_with_trades_still_reads_the_cache_once(api, user, sandbox, monkeypatch) -> None:
    for symbol in ("AAPL", "MSFT"):
        WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol=symbol))
    TickerFactory.create(symbol="NVDA")  # traded, not watched
    put = _contract("NVDA", contract_type="put")
    leg = LegInput(
        instrument="option", option_ticker=put.option_ticker, quantity=-1, entry_price=Decimal("2")
    )
    trade_open(user=user, symbol="NVDA", strategy="csp", legs=[leg])
    first = api.get("/api/v1/dashboard/").json()  # warms the rows and the leg's quote
    calls = cache_round_trips(monkeypatch)
    before = sandbox.control.counters()["total"]
    again = api.get("/api/v1/dashboard/").json()

    assert len(calls) == 1  # the watchlist's rows and the legs' quotes in one round trip
    assert sandbox.control.counters()["total"] == before
    for body in (first, again):  # the first fetched what the second reads from the cache
        del body["as_of"]
        for row in body["watchlist"]:
            del row["meta"]
    assert again == first
    assert again["portfolio"]["by_strategy"]["csp"]["open_trades"] == 1


def test_a_blank_position_filter_is_an_error_not_no_filter(api, user) -> None:
    response = api.get("/api/v1/positions/?ticker=")
    assert response.status_code == 400
    assert "ticker" in response.json()["error"]["details"]


def test_the_portfolio_sums_trades_by_their_strategy_with_fees(api, user) -> None:
    TickerFactory.create(symbol="AAPL")
    stock = LegInput(instrument="stock", quantity=10, entry_price=Decimal("100"), fees=Decimal("1.00"))
    trade_open(user=user, symbol="AAPL", strategy="stock", legs=[stock])  # still held
    sold = trade_open(user=user, symbol="AAPL", strategy="stock", legs=[stock])
    (leg,) = sold.legs.all()
    trade_close(trade=sold, exit_prices={leg.pk: Decimal("110")})
    price = Decimal(str(services.stock_data_get("AAPL").value["price"]))

    portfolio = api.get("/api/v1/dashboard/").json()["portfolio"]

    pnl = {name: {key: row[key] for key in PNL_KEYS} for name, row in portfolio["by_strategy"].items()}
    assert pnl == {
        "stock": {
            "open_trades": 1,
            "realised_pnl": 99.0,  # (110 − 100) × 10 − 1.00
            "unrealised_pnl": float(((price - 100) * 10 - 1).quantize(Decimal("0.01"))),
        }
    }
