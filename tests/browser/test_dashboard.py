"""The admin's Dashboard page in Chrome: every figure it shows is GET /api/v1/dashboard/'s.

Against the seeded mojo under gunicorn (`admin_server`): eight watched symbols, positions and
trades of each strategy, a warm cache and the alerts its refresh opened. The page is read from
its hooks (rows' `data-symbol`, `data-strategy`, `data-alert`; cells' `data-field`, named after
the API's keys), the API through the logged-in browser's session, and the two compared number
by number. The screenshot goes to tests/artifacts/ (the README's is docs/img/dashboard.png).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from selenium.webdriver.common.by import By

from tests.browser.harness import (
    BROWSER_TESTS,
    api_get,
    console_errors,
    off_host_requests,
    open_page,
    screenshot,
    sideways_scrollers,
    wait_for,
    wait_for_favicon,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

    from tests.browser.conftest import AdminServer

pytestmark = BROWSER_TESTS

PAGE = "/admin/dashboard/"
API = "/api/v1/dashboard/"
EMPTY = "—"
TEXT_FIELDS = {"symbol", "error", "earnings_date", "expected_move.expiration", "active"}
STRATEGY_FIGURES = (
    "open_trades",
    "realised_pnl",
    "unrealised_pnl",
    "delta",
    "gamma",
    "theta",
    "vega",
    "capital_at_risk",
)
PORTFOLIO_FIGURES = ("delta", "gamma", "theta", "vega", "beta_weighted_delta", "capital_at_risk")
TRADE_LISTS = ("unlimited_risk_trades", "greeks_unknown_trades")
POSITION_FIGURES = ("market_value", "unrealised_pnl", "pnl_pct", "realised_pnl")

# What the page shows, from its hooks: each [data-field] inside a scope as its text, or as the
# trade ids it links ([data-trade]) when it lists trades.
_READ_PAGE = """
const fields = (scope) => {
  const found = {};
  for (const el of scope.querySelectorAll('[data-field]')) {
    const trades = [...el.querySelectorAll('[data-trade]')].map((a) => Number(a.dataset.trade));
    found[el.dataset.field] = trades.length ? trades : el.textContent.trim();
  }
  return found;
};
const rows = (selector) => [...document.querySelectorAll(selector)].map((row) => ({
  data: {...row.dataset},
  fields: fields(row),
  links: [...row.querySelectorAll('a')].map((a) => a.pathname),
}));
return {
  watchlist: rows('#dashboard-watchlist tr[data-symbol]'),
  portfolio: fields(document.getElementById('dashboard-portfolio')),
  strategies: rows('#dashboard-strategies tr[data-strategy]'),
  positions: fields(document.querySelector('#dashboard-strategies .mojo-notes')),
  alerts: rows('#dashboard-alerts tr[data-alert]'),
  as_of: document.getElementById('dashboard-as-of').getAttribute('datetime'),
};
"""


def _open_dashboard(browser: WebDriver, server: AdminServer) -> None:
    open_page(browser, f"{server.base_url}{PAGE}", "#dashboard-alerts")


def _value(field: str, text: Any) -> Any:
    """A shown cell as the API's value: "—" is null, a number is read as one, text stays text."""
    if isinstance(text, list) or field in TEXT_FIELDS:
        return text
    if text == EMPTY:
        return None
    return float(text.removeprefix("+"))  # change % is signed: +2.5


def _shown(fields: dict[str, Any]) -> dict[str, Any]:
    return {field: _value(field, text) for field, text in fields.items()}


def _expected_row(row: dict[str, Any], strategies: list[str]) -> dict[str, Any]:
    """The cells a watchlist row shows for the API's `row`, each the API's value."""
    move = row["expected_move"]
    expected: dict[str, Any] = {
        "symbol": row["symbol"],
        "iv_rank": row["iv_rank"],
        "expected_move.by_iv": move["by_iv"] if move else None,
        "expected_move.by_straddle": move["by_straddle"] if move else None,
        **({f"expected_move.{f}": move[f] for f in ("expiration", "dte")} if move else {}),
        **(
            {"earnings_date": row["earnings_date"], "days_to_earnings": row["days_to_earnings"]}
            if row["earnings_date"]
            else {}
        ),
        **{f"signal_counts.{name}": (row["signal_counts"] or {}).get(name) for name in strategies},
    }
    if row["error"]:
        expected["error"] = row["error"]["message"]
    else:
        expected.update({field: row[field] for field in ("price", "change_percent", "rsi_14")})
    return expected


def _signal_columns(page: dict[str, Any]) -> list[str]:
    first = page["watchlist"][0]["fields"] if page["watchlist"] else {}
    return [field.removeprefix("signal_counts.") for field in first if field.startswith("signal_counts.")]


def _page_and_api(browser: WebDriver, server: AdminServer) -> tuple[dict[str, Any], dict[str, Any]]:
    _open_dashboard(browser, server)
    page: dict[str, Any] = browser.execute_script(_READ_PAGE)
    api: dict[str, Any] = api_get(browser, API)
    assert "watchlist" in api, api  # the API answered, not an error body
    return page, api


def test_each_watchlist_row_shows_the_apis_figures_and_links_its_ticker_page(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    page, api = _page_and_api(admin_browser, admin_server)
    columns = _signal_columns(page)

    assert [row["data"]["symbol"] for row in page["watchlist"]] == [row["symbol"] for row in api["watchlist"]]
    assert api["watchlist"], "the seed watches eight symbols"
    for shown, row in zip(page["watchlist"], api["watchlist"], strict=True):
        assert set(row["signal_counts"] or {}) <= set(columns), row["symbol"]
        assert _shown(shown["fields"]) == _expected_row(row, columns), row["symbol"]
        assert re.fullmatch(r"/admin/watchlist/ticker/\d+/change/", shown["links"][0]), shown["links"]
    assert page["as_of"] == api["as_of"]


def test_the_portfolio_totals_are_the_apis(admin_browser: WebDriver, admin_server: AdminServer) -> None:
    page, api = _page_and_api(admin_browser, admin_server)
    portfolio, shown = api["portfolio"], _shown(page["portfolio"])

    assert {field: shown[f"portfolio.{field}"] for field in PORTFOLIO_FIGURES} == {
        field: portfolio[field] for field in PORTFOLIO_FIGURES
    }
    for listed in (*TRADE_LISTS, "unweighted_trades"):
        assert shown.get(f"portfolio.{listed}", []) == portfolio[listed], listed
    assert {s: shown[f"portfolio.betas.{s}"] for s in portfolio["betas"]} == portfolio["betas"]
    total = api["positions"]["total"]
    positions = _shown(page["positions"])
    assert {f: positions[f"positions.total.{f}"] for f in POSITION_FIGURES} == {
        f: total[f] for f in POSITION_FIGURES
    }


def test_each_strategy_row_is_the_apis(admin_browser: WebDriver, admin_server: AdminServer) -> None:
    page, api = _page_and_api(admin_browser, admin_server)
    by_strategy = api["portfolio"]["by_strategy"]

    assert [row["data"]["strategy"] for row in page["strategies"]] == list(by_strategy)
    for row in page["strategies"]:
        name = row["data"]["strategy"]
        summary, shown = by_strategy[name], _shown(row["fields"])
        assert {f: shown[f] for f in STRATEGY_FIGURES} == {f: summary[f] for f in STRATEGY_FIGURES}, name
        for listed in TRADE_LISTS:
            assert shown.get(listed, []) == summary[listed], (name, listed)


def test_the_open_alerts_are_the_apis_each_linking_its_trade(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    page, api = _page_and_api(admin_browser, admin_server)

    # The refresh after the seed opens some (the MSFT covered call is past its take-profit).
    assert api["alerts"], "the seed's refresh opened no alert: this test would check nothing"
    assert [(int(a["data"]["alert"]), a["data"]["code"]) for a in page["alerts"]] == [
        (a["id"], a["code"]) for a in api["alerts"]
    ]
    for shown, alert in zip(page["alerts"], api["alerts"], strict=True):
        assert f"/admin/watchlist/trade/{alert['trade']}/change/" in shown["links"]
        assert shown["fields"]["active"] == ("firing" if alert["active"] else "cleared")
    every = admin_browser.find_element(By.CSS_SELECTOR, "#dashboard-alerts h2 a")
    assert every.get_attribute("pathname") == "/admin/watchlist/alert/"


def test_the_index_links_to_the_dashboard(admin_browser: WebDriver, admin_server: AdminServer) -> None:
    open_page(admin_browser, f"{admin_server.base_url}/admin/")

    link = admin_browser.find_element(By.CSS_SELECTOR, "#content-main th a")  # the index's first row
    assert link.text == "Dashboard"
    link.click()
    wait_for(admin_browser, "#dashboard-alerts")

    assert admin_browser.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    assert admin_browser.find_element(By.CSS_SELECTOR, ".breadcrumbs").text == "Home › Dashboard"


def test_the_dashboard_fits_1400px_logs_no_error_and_stays_on_127_0_0_1(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    _open_dashboard(admin_browser, admin_server)
    assert wait_for_favicon(admin_browser) == 200  # fetched after the page loads: its error would show
    screenshot(admin_browser, "admin-dashboard-1400")

    assert sideways_scrollers(admin_browser) == []
    assert console_errors(admin_browser) == []
    assert off_host_requests(admin_browser) == []
