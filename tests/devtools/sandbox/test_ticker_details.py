"""Ticker details: what each universe symbol is, in the provider's wire format."""

from __future__ import annotations

import pytest
import requests
from massive.exceptions import BadResponse
from massive.rest.models import TickerDetails

from devtools.sandbox import data
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

DETAILS = "/v3/reference/tickers/"


def test_official_client_parses_aapls_details(client):
    details = client.get_ticker_details("AAPL")
    assert isinstance(details, TickerDetails)
    assert (details.ticker, details.name, details.type) == ("AAPL", "Apple Inc.", "CS")


@pytest.mark.parametrize("symbol", ["AAPL", "SPY", "BRK.B"])
def test_body_validates_against_the_provider_schema(get, symbol):
    body = get(DETAILS + symbol).json()
    assert_wire_shape(body, "ticker_details")
    assert body["status"] == "OK" and body["request_id"]


@pytest.mark.parametrize(("symbol", "kind", "exchange"), [("SPY", "ETF", "ARCX"), ("AAPL", "CS", "XNAS")])
def test_funds_are_etfs_and_companies_common_stock(client, symbol, kind, exchange):
    details = client.get_ticker_details(symbol)
    assert (details.type, details.primary_exchange) == (kind, exchange)


def test_every_universe_symbol_is_an_active_us_stock_with_its_profile_name(get):
    for symbol, profile in data.UNIVERSE.items():
        results = get(DETAILS + symbol).json()["results"]
        assert (results["ticker"], results["name"]) == (symbol, profile.name)
        assert (results["market"], results["locale"], results["active"], results["currency_name"]) == (
            "stocks",
            "us",
            True,
            "usd",
        )
        assert results["type"] == ("ETF" if profile.is_etf else "CS")


def test_details_are_the_same_every_time(get):
    first, second = (get(DETAILS + "KALU").json()["results"] for _ in range(2))
    assert first == second
    assert first["list_date"] < data.SPAN_START.isoformat()


def test_a_class_share_has_its_root_and_suffix(client):
    details = client.get_ticker_details("BRK.B")
    assert (details.ticker_root, details.ticker_suffix, details.primary_exchange) == ("BRK", "B", "XNYS")


def test_an_unknown_ticker_is_the_providers_not_found(get):
    response = get(DETAILS + "ZZZZQ")
    body = response.json()
    assert response.status_code == 404
    assert (body["status"], body["message"]) == ("NOT_FOUND", "Ticker not found.")
    assert body["request_id"]


def test_tickers_are_case_sensitive(get):
    assert get(DETAILS + "aapl").status_code == 404


def test_official_client_raises_on_an_unknown_ticker(client):
    with pytest.raises(BadResponse, match="NOT_FOUND"):
        client.get_ticker_details("ZZZZQ")


def test_a_bad_date_is_a_400(get):
    assert get(DETAILS + "AAPL", date="yesterday").status_code == 400


def test_a_request_without_a_key_is_a_401(get):
    assert get(DETAILS + "AAPL", headers={}).status_code == 401


def test_calls_are_counted_as_ticker_details(client, sandbox):
    client.get_ticker_details("AAPL")
    client.get_ticker_details("SPY")
    assert sandbox.control.count("ticker_details") == 2
    assert sandbox.control.counters()["by_path"][DETAILS + "SPY"] == 1


def test_a_scripted_fault_reaches_the_endpoint(get, sandbox):
    sandbox.control.fault(path=DETAILS + "AAPL", kind="status", status=403)
    response = get(DETAILS + "AAPL")
    assert (response.status_code, response.json()["status"]) == (403, "NOT_AUTHORIZED")
    assert get(DETAILS + "AAPL").status_code == 200


# --- overrides through the control API ---------------------------------------------------


def test_an_override_presents_a_fund_type_outside_the_usual_ones(client, sandbox):
    sandbox.control.ticker_details("SPY", type="FUND")
    assert client.get_ticker_details("SPY").type == "FUND"
    assert client.get_ticker_details("QQQ").type == "ETF"


def test_an_override_presents_a_delisted_symbol_in_the_provider_schema(get, sandbox):
    sandbox.control.ticker_details("KALU", active=False, delisted_utc="2026-11-20T00:00:00Z")
    body = get(DETAILS + "KALU").json()
    assert_wire_shape(body, "ticker_details")
    assert (body["results"]["active"], body["results"]["delisted_utc"]) == (False, "2026-11-20T00:00:00Z")
    assert body["results"]["name"] == data.UNIVERSE["KALU"].name


def test_overrides_merge_and_none_leaves_a_field_out(get, sandbox):
    sandbox.control.ticker_details("BRK.B", type="PFD")
    sandbox.control.ticker_details("BRK.B", ticker_suffix=None)
    results = get(DETAILS + "BRK.B").json()["results"]
    assert results["type"] == "PFD"
    assert "ticker_suffix" not in results


def test_reset_restores_the_generated_details(get, sandbox):
    before = get(DETAILS + "AAPL").json()["results"]
    sandbox.control.ticker_details("AAPL", type="FUND", active=False)
    sandbox.control.reset()
    assert get(DETAILS + "AAPL").json()["results"] == before


@pytest.mark.parametrize(("symbol", "overrides"), [("ZZZZQ", {"type": "FUND"}), ("AAPL", {"colour": "red"})])
def test_an_unknown_symbol_or_field_is_refused(sandbox, symbol, overrides):
    with pytest.raises(requests.HTTPError, match="400"):
        sandbox.control.ticker_details(symbol, **overrides)
