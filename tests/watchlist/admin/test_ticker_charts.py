"""The ticker page's chart data: stored sessions and the cache only, never a provider request."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from marketdata import services
from marketdata.history import history_bars
from marketdata.models import IVSnapshot
from marketdata.services.charts import ticker_chart_get
from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db


def _chart_json(page) -> dict:  # type: ignore[no-untyped-def]
    html = page.content.decode()
    start = html.index('<script id="ticker-chart-data" type="application/json">') + len(
        '<script id="ticker-chart-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def refreshed():  # type: ignore[no-untyped-def]
    ticker = TickerFactory.create(symbol="AAPL")
    WatchlistItemFactory.create(owner=UserFactory.create(), ticker=ticker)
    call_command("refresh_market_data", verbosity=0)
    return ticker


def test_the_chart_holds_every_stored_session_and_smas_ending_on_the_apis(refreshed, sandbox, admin_client):
    before = sandbox.control.counters()["total"]
    page = admin_client.get(f"/admin/watchlist/ticker/{refreshed.pk}/change/")
    chart = _chart_json(page)

    assert page.status_code == 200
    assert sandbox.control.counters()["total"] == before  # the page asked no provider
    sessions = [c["time"] for c in chart["candles"]]
    first = date.fromisoformat(sessions[0])
    assert sessions == [
        bar.session.isoformat() for bar in history_bars("AAPL", since=first)
    ]  # each stored one
    indicators = services.stock_data_get("AAPL").value["indicators"]
    for name in ("sma_20", "sma_50", "sma_200"):
        assert chart["sma"][name][-1]["value"] == pytest.approx(indicators[name], abs=1e-4)
    assert chart["support"] == [level["price"] for level in indicators["support_levels"]]
    kinds = {marker["kind"] for marker in chart["markers"]}
    assert {"swing_high", "swing_low"} <= kinds
    assert len(chart["iv"]["points"]) == IVSnapshot.objects.filter(ticker="AAPL").count()
    assert "Options chain" in page.content.decode()


def test_a_cold_symbol_says_so_and_offers_the_refresh(sandbox, admin_client):
    ticker = TickerFactory.create(symbol="MSFT")
    before = sandbox.control.counters()["total"]

    page = admin_client.get(f"/admin/watchlist/ticker/{ticker.pk}/change/")

    assert page.status_code == 200
    assert sandbox.control.counters()["total"] == before
    html = page.content.decode()
    assert "No market data is stored or cached for MSFT yet" in html
    assert 'value="refresh_market_data"' in html
    assert ticker_chart_get("MSFT")["cold"] is True
