"""The admin's Dashboard page: staff only, linked from the index, the API's numbers, a sentence when empty.

The page against the API in a real browser, on a seeded server, is tests/browser/test_dashboard.py.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

PAGE = "/admin/dashboard/"
EMPTY_STATES = ("watchlist-empty", "portfolio-empty", "strategies-empty", "alerts-empty")


def _cell(html: str, symbol: str, field: str) -> str:
    """The text of a watchlist row's `field` cell."""
    row = re.search(rf'<tr data-symbol="{re.escape(symbol)}">(.*?)</tr>', html, re.DOTALL)
    assert row is not None, f"no row for {symbol}"
    cell = re.search(rf'data-field="{re.escape(field)}"[^>]*>([^<]*)<', row.group(1))
    assert cell is not None, f"no {field} cell for {symbol}"
    return cell.group(1).strip()


def test_anonymous_visitors_are_sent_to_the_admin_login():
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={PAGE}"


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login():
    client = Client()
    client.force_login(UserFactory.create(is_staff=False))

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_a_watchlist_trades_or_alerts_see_a_sentence_for_each(staff_client):
    response = staff_client.get(PAGE)
    html = response.content.decode()

    assert response.status_code == 200
    assert all(f'id="{state}"' in html for state in EMPTY_STATES)
    assert 'class="mojo-table"' not in html


def test_the_page_is_titled_dashboard_under_home_in_the_breadcrumbs(staff_client):
    html = staff_client.get(PAGE).content.decode()

    assert "<h1>Dashboard</h1>" in html
    assert re.search(r'<div class="breadcrumbs">\s*<a href="/admin/">Home</a> &rsaquo; Dashboard', html)


def test_the_admin_index_links_to_the_dashboard(staff_client):
    html = staff_client.get("/admin/").content.decode()

    assert f'<a href="{PAGE}">Dashboard</a>' in html


def test_a_watched_symbol_shows_the_apis_figures_and_links_its_ticker_page(admin_client, admin_user):
    ticker = TickerFactory.create(symbol="AAPL")
    WatchlistItemFactory.create(owner=admin_user, ticker=ticker)
    api = admin_client.get("/api/v1/dashboard/").json()["watchlist"][0]  # fetches, then cached

    html = admin_client.get(PAGE).content.decode()

    for field in ("price", "rsi_14", "iv_rank"):
        assert _cell(html, "AAPL", field) == ("—" if api[field] is None else str(api[field])), field
    assert f'href="/admin/watchlist/ticker/{ticker.pk}/change/"' in html


def test_a_row_whose_data_failed_shows_its_error_message(admin_client, admin_user, sandbox):
    WatchlistItemFactory.create(owner=admin_user, ticker=TickerFactory.create(symbol="MSFT"))
    sandbox.control.fault(path="/v2/aggs/ticker/MSFT/", kind="status", status=500, count=10)

    html = admin_client.get(PAGE).content.decode()

    assert 'data-field="error" data-code="provider_unavailable"' in html
    assert _cell(html, "MSFT", "error") != ""


def test_every_admin_page_links_the_dashboard_and_view_site_opens_the_api_docs(staff_client):
    html = staff_client.get("/admin/watchlist/trade/").content.decode()

    assert f'<a href="{PAGE}">Dashboard</a> /' in html
    assert '<a href="/api/docs/">View site</a>' in html
    assert '<div id="site-name"><a href="/admin/">mojo</a></div>' in html
