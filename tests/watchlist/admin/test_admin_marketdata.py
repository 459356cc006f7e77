"""Admin market data: ticker actions refresh and invalidate through the services; ticker and
position pages show cached figures only ("—" when cold) and never call the provider."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import redis
from django.test import Client

from devtools.sandbox import data as sandbox_data
from marketdata import cache, clock, services
from marketdata.domain import DailyBar
from marketdata.models import IVSnapshot, SessionBar, SymbolHistory
from tests.conftest import AFTER_CLOSE, SANDBOX_TODAY
from tests.factories import PositionFactory, TickerFactory, UserFactory
from watchlist.models import Ticker
from watchlist.valuation import to_cents

pytestmark = pytest.mark.django_db

GREEN = 'style="color: #1a7f37;"'
RED = 'style="color: #ba2121;"'
TICKERS = "/admin/watchlist/ticker/"
POSITIONS = "/admin/watchlist/position/"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


def _act(client: Client, action: str, *tickers: Ticker) -> str:
    """Run a ticker changelist action; return the page it redirects to (with its messages)."""
    response = client.post(
        TICKERS, {"action": action, "_selected_action": [t.pk for t in tickers]}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def _aggs_calls(sandbox, symbol: str) -> int:
    by_path = sandbox.control.counters()["by_path"]
    return sum(n for path, n in by_path.items() if path.startswith(f"/v2/aggs/ticker/{symbol}/"))


def _warm(*symbols: str) -> None:
    """Put stock data and earnings in the cache, then forget the requests that took."""
    for symbol in symbols:
        services.stock_data_get(symbol)
        services.earnings_get(symbol)


def _money(value: Decimal) -> str:
    return f"{value:+,.2f}"


# --- Actions ----------------------------------------------------------------------------------------------
def test_refresh_action_fetches_every_selected_symbol_and_reports_each(admin_client, sandbox):
    aapl, msft = TickerFactory.create(symbol="AAPL"), TickerFactory.create(symbol="MSFT")

    page = _act(admin_client, "refresh_market_data", aapl, msft)

    assert "AAPL: ok (stock fetched, options fetched, earnings fetched)." in page
    assert "MSFT: ok (stock fetched, options fetched, earnings fetched)." in page
    assert (_aggs_calls(sandbox, "AAPL"), _aggs_calls(sandbox, "MSFT")) == (1, 1)


def test_refresh_action_recomputes_fresh_data_without_downloading_history_again(admin_client, sandbox):
    aapl = TickerFactory.create(symbol="AAPL")
    _warm("AAPL")

    page = _act(admin_client, "refresh_market_data", aapl)

    assert "AAPL: ok (stock fetched, options fetched, earnings fetched)." in page
    assert _aggs_calls(sandbox, "AAPL") == 1  # the stored history is up to date


def test_refresh_action_reports_a_failure_with_its_error_code(admin_client, sandbox):
    aapl = TickerFactory.create(symbol="AAPL")
    sandbox.control.down()

    page = _act(admin_client, "refresh_market_data", aapl)

    assert "AAPL: failed (provider_unavailable)." in page


def test_refresh_action_reports_stale_when_only_the_cached_copy_is_left(admin_client, sandbox):
    aapl = TickerFactory.create(symbol="AAPL")
    services.stock_data_get("AAPL")
    services.options_chain_get("AAPL")
    sandbox.control.down()

    with clock.pinned(AFTER_CLOSE + timedelta(days=1)):  # the next session must be fetched
        page = _act(admin_client, "refresh_market_data", aapl)

    assert "AAPL: stale (stock stale, options stale, earnings provider_unavailable)" in page


def test_invalidate_action_deletes_the_selected_symbols_keys_and_reports_how_many(admin_client, sandbox):
    aapl, msft = TickerFactory.create(symbol="AAPL"), TickerFactory.create(symbol="MSFT")
    _warm("AAPL", "MSFT")
    services.options_chain_get("MSFT")
    stored = {s: len(cache.keys_matching(f"{cache.KEY_PREFIX}*:{s}")) for s in ("AAPL", "MSFT")}

    page = _act(admin_client, "invalidate_cache", aapl, msft)

    total = stored["AAPL"] + stored["MSFT"]
    assert f"Deleted {total} cache key(s): AAPL {stored['AAPL']}, MSFT {stored['MSFT']}." in page
    assert cache.keys_matching(f"{cache.KEY_PREFIX}*") == []


# --- Ticker pages: cache only -----------------------------------------------------------------------------
def test_ticker_changelist_shows_cached_price_indicators_and_earnings(admin_client, sandbox):
    TickerFactory.create(symbol="AAPL")
    _warm("AAPL")
    stock = services.stock_data_get("AAPL").value
    earnings = services.earnings_get("AAPL")

    page = admin_client.get(TICKERS).content.decode()

    indicators = stock["indicators"]

    def shown(value: float, decimals: int) -> str:
        """The API's rounding, written with 2 decimals at least and no trailing zeros past them."""
        whole, _, fraction = f"{round(value, decimals):,.{decimals}f}".partition(".")
        return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"

    assert f'<td class="field-last_price">{shown(stock["price"], 4)}</td>' in page
    assert f'<td class="field-sma_200">{shown(indicators["sma_200"], 4)}</td>' in page
    assert f'<td class="field-rsi_14">{shown(indicators["rsi_14"], 2)}</td>' in page
    assert f"{earnings.next_date.isoformat()} (in {earnings.days_to_earnings} d)" in page


def test_ticker_changelist_colours_the_days_change_by_sign(admin_client, sandbox):
    TickerFactory.create(symbol="AAPL")
    _warm("AAPL")
    change = services.stock_data_get("AAPL").value["change_percent"]

    page = admin_client.get(TICKERS).content.decode()

    assert f"<span {GREEN if change > 0 else RED}>{change:+.2f} %</span>" in page


def test_ticker_changelist_shows_dashes_when_cold_and_calls_no_provider(admin_client, sandbox):
    TickerFactory.create(symbol="AAPL")

    page = admin_client.get(TICKERS).content.decode()

    for column in ("last_price", "change_percent", "sma_20", "sma_50", "sma_200", "rsi_14", "next_earnings"):
        assert f'<td class="field-{column}">—</td>' in page
    assert sandbox.control.counters()["total"] == 0


def test_ticker_changelist_with_warm_rows_calls_no_provider(admin_client, sandbox):
    TickerFactory.create(symbol="AAPL")
    TickerFactory.create(symbol="MSFT")
    _warm("AAPL")
    sandbox.control.reset()

    admin_client.get(TICKERS)

    assert sandbox.control.counters()["total"] == 0


def test_ticker_changelist_reads_the_cache_in_one_round_trip_per_page(admin_client, sandbox, redis_server):
    for symbol in ("AAPL", "MSFT", "NVDA", "SPY"):
        TickerFactory.create(symbol=symbol)
    _warm("AAPL", "MSFT")
    client = redis.Redis.from_url(redis_server.url)
    client.config_resetstat()

    admin_client.get(TICKERS)

    stats = client.info("commandstats")
    reads = {name: stat["calls"] for name, stat in stats.items() if name in ("cmdstat_get", "cmdstat_mget")}
    assert reads == {"cmdstat_mget": 1}


def test_ticker_change_page_shows_cached_figures_and_when_they_were_fetched(admin_client, sandbox):
    aapl = TickerFactory.create(symbol="AAPL")
    _warm("AAPL")
    stock = services.stock_data_get("AAPL")
    sandbox.control.reset()

    page = admin_client.get(f"{TICKERS}{aapl.pk}/change/").content.decode()

    assert f'<div class="readonly">{stock.value["indicators"]["sma_50"]:,.2f}</div>' in page
    assert f'<div class="readonly">{stock.as_of.isoformat()}</div>' in page
    assert sandbox.control.counters()["total"] == 0


def test_ticker_change_page_shows_dashes_when_cold(admin_client, sandbox):
    aapl = TickerFactory.create(symbol="AAPL")

    page = admin_client.get(f"{TICKERS}{aapl.pk}/change/").content.decode()

    assert page.count('<div class="readonly">—</div>') == 8
    assert sandbox.control.counters()["total"] == 0


# --- Adding a ticker checks it with the provider ----------------------------------------------------------
def test_adding_a_symbol_the_provider_does_not_know_saves_nothing(admin_client, sandbox):
    response = admin_client.post(f"{TICKERS}add/", {"symbol": "ZZZZ", "name": ""})

    assert "The provider does not know the symbol ZZZZ." in response.content.decode()
    assert not Ticker.objects.exists()


def test_adding_a_symbol_while_the_provider_is_down_saves_nothing(admin_client, sandbox):
    sandbox.control.down()

    response = admin_client.post(f"{TICKERS}add/", {"symbol": "AAPL", "name": ""})

    assert "Could not check the symbol with the provider" in response.content.decode()
    assert not Ticker.objects.exists()


# --- Position list: cached valuation ----------------------------------------------------------------------
def _stock_pnl(entry: Decimal, quantity: int) -> Decimal:
    price = Decimal(str(services.stock_data_get("AAPL").value["price"]))
    return to_cents((price - entry) * quantity)


def test_position_list_shows_a_gain_in_green(admin_client, sandbox):
    PositionFactory.create(ticker__symbol="AAPL", quantity=100, entry_price=Decimal("150"))
    expected = _stock_pnl(Decimal("150"), 100)
    assert expected > 0

    page = admin_client.get(POSITIONS).content.decode()

    assert f"<span {GREEN}>{_money(expected)} (" in page


def test_position_list_shows_a_loss_in_red(admin_client, sandbox):
    PositionFactory.create(ticker__symbol="AAPL", quantity=100, entry_price=Decimal("900"))
    expected = _stock_pnl(Decimal("900"), 100)
    assert expected < 0

    page = admin_client.get(POSITIONS).content.decode()

    assert f"<span {RED}>{_money(expected)} (" in page


def test_position_list_shows_realised_pnl_of_a_closed_position(admin_client, sandbox):
    PositionFactory.create(
        ticker__symbol="AAPL", entry_price=Decimal("150"), exit_price=Decimal("140.5"), closed_at=AFTER_CLOSE
    )

    page = admin_client.get(POSITIONS).content.decode()

    assert f"<span {RED}>-950.00 realised</span>" in page


def test_position_list_shows_an_options_cached_price_and_its_source(admin_client, sandbox):
    put = next(
        r["details"]["ticker"]
        for r in sandbox_data.chain("AAPL", SANDBOX_TODAY)
        if r["details"]["contract_type"] == "put" and r["details"]["expiration_date"] == "2026-12-18"
    )
    PositionFactory.create(option=True, ticker__symbol="AAPL", option_ticker=put)
    quote = services.option_price_get("AAPL", put).value
    sandbox.control.reset()

    page = admin_client.get(POSITIONS).content.decode()

    cell = re.search(r'<td class="field-current_price">([\d,.]+) \((\w+)\)</td>', page)
    assert cell is not None
    assert (float(cell[1].replace(",", "")), cell[2]) == (quote["price"], quote["price_source"])
    assert sandbox.control.counters()["total"] == 0


def test_position_list_shows_dashes_when_cold_and_calls_no_provider(admin_client, sandbox):
    PositionFactory.create(ticker__symbol="AAPL")
    PositionFactory.create(option=True, ticker__symbol="MSFT")

    page = admin_client.get(POSITIONS).content.decode()

    assert page.count('<td class="field-current_price">—</td>') == 2
    assert page.count('<td class="field-pnl">—</td>') == 2
    assert sandbox.control.counters()["total"] == 0


# --- IV snapshots: read-mostly ----------------------------------------------------------------------------
@pytest.fixture
def snapshots() -> None:
    IVSnapshot.objects.create(ticker="AAPL", session_date=date(2026, 11, 24), atm_iv=0.312)
    IVSnapshot.objects.create(ticker="MSFT", session_date=date(2026, 11, 24), atm_iv=0.254, is_demo=True)


@pytest.mark.usefixtures("snapshots")
@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [("?ticker=AAPL", "31.2%", "25.4%"), ("?is_demo__exact=1", "25.4%", "31.2%")],
)
def test_iv_snapshots_filter_by_ticker_and_demo_flag(admin_client, query, shown, hidden):
    page = admin_client.get(f"/admin/marketdata/ivsnapshot/{query}").content.decode()

    assert (shown in page, hidden in page) == (True, False)


def test_iv_snapshots_cannot_be_added(admin_client):
    assert admin_client.get("/admin/marketdata/ivsnapshot/add/").status_code == 403


@pytest.mark.usefixtures("snapshots")
def test_iv_snapshot_page_is_view_only(admin_client):
    snapshot = IVSnapshot.objects.get(ticker="AAPL")

    page = admin_client.get(f"/admin/marketdata/ivsnapshot/{snapshot.pk}/change/").content.decode()

    assert "31.2%" in page and 'name="_save"' not in page


# --- Stored daily history -------------------------------------------------------------------------
HISTORY = "/admin/marketdata/symbolhistory/"


@pytest.fixture
def stored_history() -> SymbolHistory:
    bars = [DailyBar(date(2026, 11, 20) + timedelta(days=i), 10, 11, 9, 10.5, 1e6) for i in range(3)]
    services.history_store("AAPL", bars)
    return SymbolHistory.objects.create(
        symbol="AAPL", checked_through=date(2026, 11, 22), splits_through=date(2026, 11, 23)
    )


@pytest.mark.usefixtures("stored_history")
def test_the_history_list_shows_how_many_sessions_each_symbol_has_and_since_when(admin_client):
    page = admin_client.get(HISTORY).content.decode()

    row = re.search(r"<tr[^>]*>.*?AAPL.*?</tr>", page, re.S)
    assert row is not None
    assert '<td class="field-sessions">3</td>' in row.group(0)
    assert "Nov. 20, 2026" in row.group(0)


def test_fetch_again_deletes_the_sessions_and_the_next_sync_fetches_them_in_full(
    admin_client, stored_history
):
    response = admin_client.post(
        HISTORY, {"action": "fetch_again", "_selected_action": [stored_history.pk]}, follow=True
    )

    assert "AAPL: 3 stored sessions deleted" in response.content.decode()
    assert services.history_stored_through(["AAPL"]) == {"AAPL": None}
    assert SessionBar.objects.filter(symbol="AAPL").count() == 0


def test_stored_history_is_view_only(admin_client, stored_history):
    bar = SessionBar.objects.filter(symbol="AAPL").first()
    assert admin_client.get("/admin/marketdata/sessionbar/add/").status_code == 403
    assert (
        'name="_save"'
        not in admin_client.get(f"/admin/marketdata/sessionbar/{bar.pk}/change/").content.decode()
    )
    assert admin_client.get(f"{HISTORY}{stored_history.pk}/delete/").status_code == 403
