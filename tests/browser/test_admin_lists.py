"""The admin's lists as a trader opens them in Chrome at 1,400 px: they fit, and the pages stay clean.

Against a seeded mojo under gunicorn (`admin_server`): several positions of each strategy with
long option tickers, multi-leg trades, tickers whose market data a refresh cached. Each list's
screenshot goes to tests/artifacts/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from selenium.webdriver.common.by import By

from tests.browser.harness import (
    BROWSER_TESTS,
    console_errors,
    off_host_requests,
    open_page,
    screenshot,
    sideways_scrollers,
    wait_for_favicon,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

    from tests.browser.conftest import AdminServer

pytestmark = BROWSER_TESTS

# Each changelist and the rows the seed gives it at least (`tests/browser/seed.py`).
CHANGELISTS = {
    "position": ("/admin/watchlist/position/", 20),
    "trade": ("/admin/watchlist/trade/", 20),
    "ticker": ("/admin/watchlist/ticker/", 8),
}
PAGES = {"index": "/admin/", **{name: path for name, (path, _) in CHANGELISTS.items()}}


def _open_changelist(browser: WebDriver, server: AdminServer, name: str) -> None:
    path, rows = CHANGELISTS[name]
    open_page(browser, f"{server.base_url}{path}", "#result_list")
    shown = len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    assert shown >= rows, f"the {name} list shows {shown} rows: the seed gives it {rows} at least"


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_fits_a_1400px_window_without_sideways_scrolling(
    admin_browser: WebDriver, admin_server: AdminServer, name: str
) -> None:
    _open_changelist(admin_browser, admin_server, name)
    screenshot(admin_browser, f"admin-{name}-changelist-1400")

    assert sideways_scrollers(admin_browser) == []


def test_position_list_shows_the_cached_pnl_of_open_positions(
    admin_browser: WebDriver, admin_server: AdminServer
) -> None:
    _open_changelist(admin_browser, admin_server, "position")

    cells = [cell.text for cell in admin_browser.find_elements(By.CSS_SELECTOR, "#result_list td.field-pnl")]

    assert cells and all(text not in ("", "—") for text in cells), cells


@pytest.mark.parametrize("name", PAGES)
def test_admin_page_logs_no_console_error(
    admin_browser: WebDriver, admin_server: AdminServer, name: str
) -> None:
    open_page(admin_browser, f"{admin_server.base_url}{PAGES[name]}")
    assert wait_for_favicon(admin_browser) == 200  # fetched after the page loads: its error would show

    assert console_errors(admin_browser) == []


@pytest.mark.parametrize("name", PAGES)
def test_admin_page_requests_nothing_beyond_127_0_0_1(
    admin_browser: WebDriver, admin_server: AdminServer, name: str
) -> None:
    open_page(admin_browser, f"{admin_server.base_url}{PAGES[name]}")
    wait_for_favicon(admin_browser)  # asked for once the page has loaded: after the page's own requests

    assert off_host_requests(admin_browser) == []


def test_a_page_without_an_icon_link_gets_the_favicon_at_favicon_ico(
    browser: WebDriver, admin_server: AdminServer
) -> None:
    open_page(browser, f"{admin_server.base_url}/healthz", "body")

    assert wait_for_favicon(browser) == 200
