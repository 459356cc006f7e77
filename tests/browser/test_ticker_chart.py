"""The ticker page's charts in Chrome: what the page itself holds, against the database and the API.

Against the seeded mojo under gunicorn (`admin_server`); the chart objects are read from their
containers (`mojoChart`), the API through the logged-in browser's session, the stored sessions
and IV snapshots from the server's database file.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest
import redis
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from marketdata.dividend_schedule import add_months
from tests.browser.conftest import REDIS_DATABASE
from tests.browser.harness import (
    BROWSER_TESTS,
    WAIT_SECONDS,
    api_get,
    console_errors,
    off_host_requests,
    open_page,
    screenshot,
)
from tests.conftest import SANDBOX_TODAY

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

    from devtools.localredis import LocalRedis
    from devtools.sandbox.server import SandboxServer
    from tests.browser.conftest import AdminServer

pytestmark = BROWSER_TESTS

SYMBOL = "AAPL"
RANGES = {"3M": 3, "1Y": 12, "2Y": 24}
CHART = "return document.getElementById('price-chart').mojoChart"


def _database(server: AdminServer) -> sqlite3.Connection:
    return sqlite3.connect(server.directory / "db.sqlite3")


def _ticker_page(browser: WebDriver, server: AdminServer) -> None:
    with _database(server) as db:
        (pk,) = db.execute("SELECT id FROM watchlist_ticker WHERE symbol = ?", (SYMBOL,)).fetchone()
    open_page(browser, f"{server.base_url}/admin/watchlist/ticker/{pk}/change/", "#content")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script(
            "const c = document.getElementById('price-chart'); return !!(c && c.mojoChart)"
        )
    )


def _stored_sessions(server: AdminServer, since: str) -> list[str]:
    with _database(server) as db:
        rows = db.execute(
            "SELECT session FROM marketdata_sessionbar WHERE symbol = ? AND session >= ? ORDER BY session",
            (SYMBOL, since),
        ).fetchall()
    return [session for (session,) in rows]


def test_the_price_chart_shows_each_stored_session_of_the_range_and_the_apis_indicators(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    _ticker_page(admin_browser, admin_server)
    stock = api_get(admin_browser, f"/api/v1/stocks/{SYMBOL}/")

    for name, months in RANGES.items():
        admin_browser.find_element(By.CSS_SELECTOR, f'.mojo-range[data-range="{name}"]').click()
        shown = admin_browser.execute_script(
            CHART + ".series.candles.data().filter(d => d.close !== undefined).map(d => d.time)"
        )
        start = add_months(SANDBOX_TODAY, -months).isoformat()
        assert shown == _stored_sessions(admin_server, start), name
        screenshot(admin_browser, f"ticker-chart-{name}")
    for period in ("sma_20", "sma_50", "sma_200"):
        last = admin_browser.execute_script(CHART + f".series.{period}.data().slice(-1)[0].value")
        assert last == pytest.approx(stock[period], abs=1e-4), period
    levels = admin_browser.execute_script(CHART + ".priceLines.map(line => line.options().price)")
    expected = [level["price"] for level in stock["support_levels"] + stock["resistance_levels"]]
    assert sorted(levels) == pytest.approx(sorted(expected))
    marked = admin_browser.execute_script(
        "const c = document.getElementById('price-chart').mojoChart;"
        "return [...c.markers.markers(), ...c.eventMarkers.markers()].map(m => m.id)"
    )
    for swing in stock["swing_highs"][:3]:
        assert f"swing_high:{swing['date']}" in marked
    for swing in stock["swing_lows"][:3]:
        assert f"swing_low:{swing['date']}" in marked
    if stock["earnings_date"] is not None:
        assert f"earnings:{stock['earnings_date']}" in marked
    assert "Options chain" in admin_browser.find_element(By.CSS_SELECTOR, ".mojo-chain-link").text
    assert console_errors(admin_browser) == []
    assert off_host_requests(admin_browser) == []


def test_the_iv_panel_has_a_point_per_snapshot_and_the_apis_rank_and_percentile(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    _ticker_page(admin_browser, admin_server)
    options = api_get(admin_browser, f"/api/v1/stocks/{SYMBOL}/options/?max_dte=1")
    with _database(admin_server) as db:
        (snapshots,) = db.execute(
            "SELECT COUNT(*) FROM marketdata_ivsnapshot WHERE ticker = ?", (SYMBOL,)
        ).fetchone()

    points = admin_browser.execute_script(
        "return document.getElementById('iv-chart').mojoChart.series.iv.data().length"
    )
    rank = admin_browser.find_element(By.ID, "iv-rank").text
    percentile = admin_browser.find_element(By.ID, "iv-percentile").text

    assert points == snapshots > 0
    assert rank == ("—" if options["iv_rank"] is None else f"{options['iv_rank']}")
    assert percentile == ("—" if options["iv_percentile"] is None else f"{options['iv_percentile']}")
    screenshot(admin_browser, "ticker-iv-panel")
    assert console_errors(admin_browser) == []


def test_with_the_cache_invalidated_the_page_asks_no_provider(
    admin_browser: WebDriver,
    admin_server: AdminServer,
    redis_server: LocalRedis,
    sandbox_server: SandboxServer,
) -> None:
    base = redis_server.url.rsplit("/", 1)[0]
    redis.Redis.from_url(f"{base}/{REDIS_DATABASE}").flushdb()  # the server's cache, nothing else
    before = sandbox_server.control.counters()["total"]

    _ticker_page(admin_browser, admin_server)

    candles = admin_browser.execute_script(CHART + ".series.candles.data().length")
    assert candles > 0  # the stored sessions still draw the chart
    assert sandbox_server.control.counters()["total"] == before
    assert console_errors(admin_browser) == []
