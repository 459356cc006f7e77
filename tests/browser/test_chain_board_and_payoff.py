"""The options-chain board and a trade's payoff diagram in Chrome, against the API's own answers.

Against the seeded mojo under gunicorn (`admin_server`). The API is asked first, through the
logged-in browser's session (it may fetch what the cache lacks; the pages read the cache only),
then the pages are read: the board's cells (their data-value is the API's value), and the
payoff chart's series from its container (`mojoChart`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from marketdata.chain_board import DEFAULT_MIN_DTE
from tests.browser.harness import (
    BROWSER_TESTS,
    WAIT_SECONDS,
    api_get,
    console_errors,
    off_host_requests,
    open_page,
    screenshot,
    sideways_scrollers,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

    from tests.browser.conftest import AdminServer

pytestmark = BROWSER_TESTS

SYMBOL = "AAPL"  # the seeded user holds 100 shares: covered calls are recommended too
CELLS = """
return [...document.querySelectorAll('#chain-board td[data-field][data-value]')].map(td => [
  td.dataset.optionTicker, td.dataset.field, td.dataset.value]);
"""
RECOMMENDED = """
return [...document.querySelectorAll('#chain-board td.signal .mojo-badge')].map(badge => [
  badge.closest('td').dataset.optionTicker, badge.dataset.strategy, badge.dataset.side]);
"""


def _pk(server: AdminServer, sql: str, *args: object) -> int:
    with sqlite3.connect(server.directory / "db.sqlite3") as db:
        (pk,) = db.execute(sql, args).fetchone()
    return int(pk)


def _value(field: str, text: str) -> float | int:
    return int(text) if field == "open_interest" else float(text)


def _board_of(browser: WebDriver) -> dict[str, dict[str, float | int]]:
    """The board's contracts: option ticker -> {mid, iv, delta, open_interest} as the cells hold them."""
    shown: dict[str, dict[str, float | int]] = {}
    for ticker, field, value in browser.execute_script(CELLS):
        if value != "":
            shown.setdefault(ticker, {})[field] = _value(field, value)
        else:
            shown.setdefault(ticker, {})
    return shown


def _api_contracts(browser: WebDriver, expiration: str, dte: int) -> dict[str, dict[str, Any]]:
    listed = api_get(browser, f"/api/v1/stocks/{SYMBOL}/options/?min_dte={dte}&max_dte={dte}")["results"]
    return {
        c["option_ticker"]: {k: c[k] for k in ("mid", "iv", "delta", "open_interest") if c[k] is not None}
        for c in listed
        if c["expiration"] == expiration
    }


def _recommended_by_api(browser: WebDriver) -> set[tuple[str, str, str, str]]:
    """(option ticker, strategy, side, expiration) of every leg the signals endpoint recommends."""
    strategies = api_get(browser, f"/api/v1/stocks/{SYMBOL}/signals/")["strategies"]
    return {
        (leg["option_ticker"], strategy, leg["side"], leg["expiration"])
        for strategy, candidates in strategies.items()
        for candidate in candidates
        for leg in candidate["legs"]
    }


def test_the_board_opens_on_the_nearest_week_out_expiry_with_the_apis_contracts(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    pk = _pk(admin_server, "SELECT id FROM watchlist_ticker WHERE symbol = ?", SYMBOL)
    recommended = _recommended_by_api(admin_browser)
    open_page(admin_browser, f"{admin_server.base_url}/admin/watchlist/ticker/{pk}/change/", "#price-chart")
    admin_browser.find_element(By.CSS_SELECTOR, ".mojo-chain-link").click()
    WebDriverWait(admin_browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "chain-board"))

    tabs = admin_browser.find_elements(By.CSS_SELECTOR, ".mojo-tab")
    dtes = [int(tab.find_element(By.CSS_SELECTOR, ".mojo-dte").text.split()[0]) for tab in tabs]
    selected = admin_browser.find_element(By.CSS_SELECTOR, ".mojo-tab.selected")
    expiration = selected.get_attribute("data-expiration")
    dte = int(selected.find_element(By.CSS_SELECTOR, ".mojo-dte").text.split()[0])
    assert dte == min(d for d in dtes if d >= DEFAULT_MIN_DTE)
    assert _board_of(admin_browser) == _api_contracts(admin_browser, expiration, dte)
    shown = {tuple(item) for item in admin_browser.execute_script(RECOMMENDED)}
    assert shown == {(t, s, side) for t, s, side, e in recommended if e == expiration}
    atm = admin_browser.find_elements(By.CSS_SELECTOR, "#chain-board tr.atm")
    assert len(atm) == 1
    assert sideways_scrollers(admin_browser) == []
    screenshot(admin_browser, "chain-board-default")
    assert console_errors(admin_browser) == []
    assert off_host_requests(admin_browser) == []


def test_the_board_of_a_chosen_expiry_highlights_the_signals_contracts(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    pk = _pk(admin_server, "SELECT id FROM watchlist_ticker WHERE symbol = ?", SYMBOL)
    recommended = _recommended_by_api(admin_browser)
    # The expiry most recommended legs fall on: the board must highlight each of them there.
    expiration, _ = Counter(e for *_, e in recommended).most_common(1)[0]
    url = f"{admin_server.base_url}/admin/watchlist/ticker/{pk}/chain/?expiration={expiration}"
    open_page(admin_browser, url, "#chain-board")

    selected = admin_browser.find_element(By.CSS_SELECTOR, ".mojo-tab.selected")
    assert selected.get_attribute("data-expiration") == expiration
    dte = int(selected.find_element(By.CSS_SELECTOR, ".mojo-dte").text.split()[0])
    assert _board_of(admin_browser) == _api_contracts(admin_browser, expiration, dte)
    shown = {tuple(item) for item in admin_browser.execute_script(RECOMMENDED)}
    assert shown == {(t, s, side) for t, s, side, e in recommended if e == expiration} != set()
    highlighted = admin_browser.execute_script(
        "return [...document.querySelectorAll('#chain-board td.recommended')].length"
    )
    assert highlighted == 5 * len({t for t, *_ in shown})  # every cell of each such contract
    screenshot(admin_browser, "chain-board-recommended")
    assert console_errors(admin_browser) == []
    assert off_host_requests(admin_browser) == []


# The seed's multi-leg trade of a strategy (its positions' one-leg trades share the strategy names).
MULTI_LEG_TRADE = """
SELECT trade_id FROM watchlist_position JOIN watchlist_trade ON watchlist_trade.id = trade_id
WHERE watchlist_trade.strategy = ? GROUP BY trade_id HAVING COUNT(*) > 1 ORDER BY trade_id LIMIT 1
"""
SERIES = "return document.getElementById('payoff-chart').mojoChart.series.{}.data()"


def _payoff_page(browser: WebDriver, server: AdminServer, pk: int) -> None:
    open_page(browser, f"{server.base_url}/admin/watchlist/trade/{pk}/change/", "#payoff-chart")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script("return !!document.getElementById('payoff-chart').mojoChart")
    )


def _zero_crossings(points: list[dict[str, float]]) -> list[float]:
    crossings = []
    for left, right in pairwise(points):
        if (left["value"] > 0) != (right["value"] > 0):
            share = left["value"] / (left["value"] - right["value"])
            crossings.append(left["time"] + share * (right["time"] - left["time"]))
    return crossings


@pytest.mark.parametrize("strategy", ["vertical", "pmcc", "covered_call"])
def test_the_payoff_crosses_zero_at_the_apis_breakevens_and_peaks_at_its_max_profit(
    admin_browser: WebDriver, admin_server: AdminServer, strategy: str
) -> None:
    pk = _pk(admin_server, MULTI_LEG_TRADE, strategy)
    figures = api_get(admin_browser, f"/api/v1/trades/{pk}/")  # the figures are the trade's own fields
    _payoff_page(admin_browser, admin_server, pk)

    horizon = admin_browser.execute_script(SERIES.format("horizon"))
    today = admin_browser.execute_script(SERIES.format("today"))
    prices = [point["time"] for point in horizon]
    step = max(b - a for a, b in pairwise(prices))
    drawn = [b for b in figures["breakevens"] if prices[0] <= b <= prices[-1]]
    assert drawn, "the range drawn should hold the breakevens"
    assert _zero_crossings(horizon) == pytest.approx(drawn, abs=step)
    assert figures["max_profit"] is not None
    assert max(point["value"] for point in horizon) == pytest.approx(figures["max_profit"], abs=0.01)
    assert [point["time"] for point in today] == prices  # both curves over the same spots
    spot = float(admin_browser.find_element(By.ID, "payoff-spot").text)
    marks = admin_browser.execute_script(
        "return document.getElementById('payoff-chart').mojoChart.markers.markers()"
    )
    assert {"id": "spot", "time": spot} in [{"id": m["id"], "time": m["time"]} for m in marks]
    assert sum(1 for m in marks if m["id"].startswith("breakeven:")) == len(drawn)
    legs = admin_browser.find_elements(By.CSS_SELECTOR, "#trade-legs tbody tr")
    assert len(legs) == len(figures["legs"])
    for action in ("roll", "assign", "close"):
        assert admin_browser.find_elements(By.CSS_SELECTOR, f'.object-tools a[href$="/{pk}/{action}/"]')
    screenshot(admin_browser, f"trade-payoff-{strategy}")
    assert sideways_scrollers(admin_browser) == []
    assert console_errors(admin_browser) == []
    assert off_host_requests(admin_browser) == []


def test_the_payoff_chart_follows_the_admins_dark_theme(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    pk = _pk(admin_server, MULTI_LEG_TRADE, "vertical")
    _payoff_page(admin_browser, admin_server, pk)
    colours = (
        "const c = document.getElementById('payoff-chart').mojoChart.chart.options().layout;"
        "const css = getComputedStyle(document.documentElement);"
        "return [c.background.color, css.getPropertyValue('--body-bg').trim(), c.textColor,"
        " css.getPropertyValue('--body-fg').trim(), document.documentElement.dataset.theme];"
    )
    light = admin_browser.execute_script(colours)

    for _ in range(3):  # the admin's toggle cycles auto, light and dark
        if admin_browser.execute_script("return document.documentElement.dataset.theme") == "dark":
            break
        admin_browser.find_element(By.CSS_SELECTOR, "button.theme-toggle").click()
    dark = admin_browser.execute_script(colours)

    assert dark[4] == "dark"
    assert dark[0] == dark[1] != light[0]  # the chart's background is the dark theme's
    assert dark[2] == dark[3]
    screenshot(admin_browser, "trade-payoff-dark")
    assert console_errors(admin_browser) == []
