"""Endpoints outside the provider's plan: mojo falls back, remembers the lack a day, shows it in /healthz."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from django_redis import get_redis_connection

from marketdata import cache, clock, entitlements, services
from marketdata.exceptions import NotEntitled
from tests.conftest import NEW_YORK

pytestmark = pytest.mark.django_db

IN_SESSION = datetime(2026, 11, 24, 11, 0, tzinfo=NEW_YORK)
STOCKS_SNAPSHOT = "/v2/snapshot/locale/us/markets/stocks/tickers"


def _in_session(sandbox) -> None:
    sandbox.control.pin_now(IN_SESSION)


def test_without_the_stocks_snapshot_todays_bar_comes_from_each_symbols_latest_aggs(sandbox) -> None:
    _in_session(sandbox)
    with clock.pinned(IN_SESSION):
        services.stock_data_get_many(["AAPL", "MSFT"])  # history stored, today's bar from the snapshot
        snapshot = {s: services.stock_data_get(s).value["price"] for s in ("AAPL", "MSFT")}
        cache.delete_keys([cache.stock_cache_key("AAPL"), cache.stock_cache_key("MSFT")])
        sandbox.control.reset()
        _in_session(sandbox)
        sandbox.control.entitlement(STOCKS_SNAPSHOT, entitled=False)

        batch = services.stock_data_get_many(["AAPL", "MSFT"])

    assert batch.errors == {}
    assert {s: batch.results[s].value["price"] for s in ("AAPL", "MSFT")} == snapshot
    assert sandbox.control.count("stocks_snapshot") == 1  # asked once, refused
    assert sandbox.control.count("aggs") == 2  # then one latest-aggs call per symbol
    assert entitlements.entitlement_lacking("stocks_snapshot")


def test_the_lack_is_remembered_for_a_day_and_logged_once(sandbox, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="marketdata.entitlements")
    asked: list[str] = []

    def primary() -> str:
        asked.append("primary")
        raise NotEntitled(details={"endpoint": "dividends"})

    answers = [entitlements.entitled_or("dividends", primary, lambda: "fallback") for _ in range(3)]

    assert answers == ["fallback"] * 3
    assert asked == ["primary"]  # the next calls did not ask again
    assert len([r for r in caplog.records if "does not include dividends" in r.getMessage()]) == 1
    ttl = get_redis_connection("default").ttl(cache.entitlement_key("dividends"))
    assert entitlements.REMEMBERED_SECONDS - 5 <= ttl <= entitlements.REMEMBERED_SECONDS


def test_an_endpoint_mojo_cannot_do_without_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="aggs"):
        entitlements.entitlement_lack_record("aggs")


def test_healthz_lists_the_endpoints_the_plan_lacks(client, sandbox) -> None:
    assert client.get("/healthz").json()["details"]["entitlements"] == {}

    entitlements.entitlement_lack_record("universal_snapshot")
    entitlements.entitlement_lack_record("fmp_earnings_calendar")

    assert client.get("/healthz").json()["details"]["entitlements"] == {
        "/v3/snapshot": "not_authorized",
        "/stable/earnings-calendar": "not_authorized",
    }
