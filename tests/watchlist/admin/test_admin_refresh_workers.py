"""The admin's "Refresh market data" sends the selection to the workers when one is alive."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from marketdata.models import RefreshCycle
from marketdata.services import cycles
from tests.factories import TickerFactory

pytestmark = pytest.mark.django_db


def _refresh(admin_client, tickers) -> Any:
    return admin_client.post(
        reverse("admin:watchlist_ticker_changelist"),
        {"action": "refresh_market_data", "_selected_action": [t.pk for t in tickers]},
        follow=True,
    )


def test_with_a_worker_alive_the_selection_becomes_one_cycle(
    admin_client, sandbox, django_capture_on_commit_callbacks
) -> None:
    tickers = [TickerFactory.create(symbol="AAPL"), TickerFactory.create(symbol="KO")]
    cycles.worker_heartbeat_record("w1@host")

    with django_capture_on_commit_callbacks() as sends:
        response = _refresh(admin_client, tickers)

    cycle = RefreshCycle.objects.get()
    assert (cycle.status, cycle.symbols, cycle.force) == ("queued", ["AAPL", "KO"], True)
    assert len(sends) == 1  # sent to the broker once committed
    assert f"Cycle {cycle.pk} sent to the workers (2 symbol(s))." in response.content.decode()
    assert sandbox.control.counters()["total"] == 0  # nothing fetched in the request


def test_without_a_worker_the_selection_is_refreshed_in_the_request(admin_client, sandbox) -> None:
    ticker = TickerFactory.create(symbol="AAPL")

    response = _refresh(admin_client, [ticker])

    assert not RefreshCycle.objects.exists()
    assert "AAPL: ok (" in response.content.decode()
    assert sandbox.control.count("aggs") == 1
