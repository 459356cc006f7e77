"""The stock endpoint's reference data: name, type and next dividend, after a refresh brought them.

Over real HTTP to the sandbox, with real Redis and the test database. The expected dividend is
what the sandbox itself answers for AAPL's upcoming declared dividend, asked without mojo.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from rest_framework.test import APIClient

from marketdata import cache, clock
from tests.conftest import NEW_YORK, SANDBOX_TODAY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STOCKS = "/api/v1/stocks/"


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    return client


def _refresh(*symbols: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("refresh_market_data", "--tickers", *symbols, "--only", "stock", stdout=out, stderr=err)


def _stock(api: APIClient, symbol: str) -> dict[str, Any]:
    response = api.get(f"{STOCKS}{symbol}/")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _upcoming_dividend_served(sandbox, symbol: str) -> dict[str, Any]:
    """The sandbox's soonest declared dividend of `symbol` not yet ex on the tests' today."""
    params = {"ticker": symbol, "ex_dividend_date.gte": SANDBOX_TODAY.isoformat(), "order": "asc"}
    response = requests.get(
        f"{sandbox.base_url}/v3/reference/dividends",
        params=params,
        headers={"Authorization": "Bearer sandbox-key"},
        timeout=10,
    )
    response.raise_for_status()
    first = response.json()["results"][0]
    return {"ex_dividend_date": first["ex_dividend_date"], "cash_amount": first["cash_amount"]}


# --- What a refresh brings ---------------------------------------------------------------------
def test_after_a_refresh_the_stock_endpoint_names_aapl_a_common_stock(api, sandbox) -> None:
    _refresh("AAPL")

    body = _stock(api, "AAPL")

    assert (body["name"], body["type"]) == ("Apple Inc.", "CS")


def test_after_a_refresh_the_stock_endpoint_shows_aapls_upcoming_declared_dividend(api, sandbox) -> None:
    expected = _upcoming_dividend_served(sandbox, "AAPL")
    _refresh("AAPL")

    assert _stock(api, "AAPL")["next_dividend"] == expected


def test_a_fund_shows_its_etf_type(api, sandbox) -> None:
    _refresh("AAPL", "SPY")

    assert _stock(api, "SPY")["type"] == "ETF"


def test_a_symbol_that_pays_no_dividend_has_a_null_next_dividend(api, sandbox) -> None:
    _refresh("AAPL", "TSLA")

    body = _stock(api, "TSLA")

    assert (body["name"], body["next_dividend"]) == ("Tesla, Inc.", None)


def test_the_next_dividend_is_picked_when_read_so_a_cached_entry_drops_it_once_it_went_ex(
    api, sandbox
) -> None:
    ex_date = date.fromisoformat(_upcoming_dividend_served(sandbox, "AAPL")["ex_dividend_date"])
    _refresh("AAPL")
    sandbox.control.down()  # whatever is served now comes from the entry cached on the 24th

    with clock.pinned(datetime.combine(ex_date + timedelta(days=1), time(12, 0), tzinfo=NEW_YORK)):
        body = _stock(api, "AAPL")

    entry = cache.read(cache.stock_cache_key("AAPL"))
    assert entry is not None and ex_date.isoformat() in [ex for ex, _ in entry.value["dividends"]]
    assert (body["meta"]["stale"], body["next_dividend"]) == (True, None)


def test_an_entry_cached_before_reference_data_existed_answers_nulls(api, sandbox) -> None:
    _refresh("AAPL")
    key = cache.stock_cache_key("AAPL")
    current = cache.read(key)
    assert current is not None
    legacy = {k: v for k, v in current.value.items() if k not in ("name", "type", "dividends")}
    now = clock.now().timestamp()
    cache.write(key, cache.Entry(legacy, now, now + 3600), fresh_ttl=3600)

    body = _stock(api, "AAPL")

    assert body["meta"]["cached"] is True  # the old entry, not a recomputed one
    assert (body["name"], body["type"], body["next_dividend"]) == (None, None, None)


# --- The schema --------------------------------------------------------------------------------
def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref`, or the single `$ref` of a nullable `allOf`, to its component."""
    if "allOf" in node:
        (node,) = node["allOf"]
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        component: dict[str, Any] = schema["components"]["schemas"][name]
        return component
    return node


def test_the_schema_documents_name_type_and_the_next_dividend_on_the_stock_response() -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    ok = schema["paths"]["/api/v1/stocks/{symbol}/"]["get"]["responses"]["200"]
    stock = _resolve(schema, ok["content"]["application/json"]["schema"])

    properties = stock["properties"]
    dividend = _resolve(schema, properties["next_dividend"])

    assert {"name", "type", "next_dividend"} <= set(stock["required"])
    assert [properties[field].get("nullable") for field in ("name", "type", "next_dividend")] == [True] * 3
    assert (properties["name"]["type"], properties["type"]["type"]) == ("string", "string")
    assert dividend["properties"]["ex_dividend_date"] == {"type": "string", "format": "date"}
    assert dividend["properties"]["cash_amount"]["type"] == "number"
    assert set(dividend["required"]) == {"ex_dividend_date", "cash_amount"}
