"""Entitlements switched off through the control API: the providers' exact "not entitled" answers."""

from __future__ import annotations

import pytest
import requests
from massive.exceptions import BadResponse

MASSIVE_MESSAGE = "You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing"
FMP_MESSAGE = (
    "Restricted Endpoint: This endpoint is not available under your current subscription please visit our "
    "subscription page to upgrade your plan at https://site.financialmodelingprep.com/pricing-plans"
)
FMP_KEY = {"apikey": "test-fmp-key"}
UNIVERSAL = "/v3/snapshot"
CALENDAR = "/stable/earnings-calendar"
WINDOW = {"from": "2026-10-01", "to": "2026-11-30"}


def _fmp(get, path, **params):
    return get(path, headers={}, **FMP_KEY, **params)


def test_a_massive_endpoint_switched_off_answers_403_not_authorized(get, sandbox):
    sandbox.control.entitlement(UNIVERSAL, False)
    response = get(UNIVERSAL, **{"ticker.any_of": "AAPL"})
    body = response.json()
    assert response.status_code == 403
    assert set(body) == {"status", "request_id", "message"}
    assert (body["status"], body["message"]) == ("NOT_AUTHORIZED", MASSIVE_MESSAGE)
    assert body["request_id"]


def test_the_official_client_raises_bad_response_with_the_body(client, sandbox):
    sandbox.control.entitlement("/v3/reference/dividends", False)
    with pytest.raises(BadResponse, match="NOT_AUTHORIZED"):
        list(client.list_dividends(ticker="AAPL"))


def test_a_whole_endpoint_path_leaves_the_endpoints_under_it_alone(get, sandbox, aapl_chain):
    sandbox.control.entitlement(UNIVERSAL, False)
    contract = aapl_chain[0].details.ticker
    assert get(f"/v3/snapshot/options/AAPL/{contract}").status_code == 200
    assert get("/v3/snapshot/options/AAPL").status_code == 200


def test_a_partial_path_switches_off_everything_under_it(get, sandbox):
    sandbox.control.entitlement("/v3/reference/", False)
    for path in ("/v3/reference/dividends", "/v3/reference/splits", "/v3/reference/tickers/AAPL"):
        assert get(path).status_code == 403, path
    assert get("/v2/snapshot/locale/us/markets/stocks/tickers", tickers="AAPL").status_code == 200


@pytest.mark.parametrize("status", [402, 403])
def test_an_fmp_endpoint_switched_off_answers_restricted_endpoint(get, sandbox, status):
    sandbox.control.entitlement(CALENDAR, False, status=status)
    response = _fmp(get, CALENDAR, **WINDOW)
    assert response.status_code == status
    assert response.json() == {"Error Message": FMP_MESSAGE}


def test_stable_earnings_keeps_working_without_the_calendar(get, sandbox):
    sandbox.control.entitlement(CALENDAR, False)
    assert _fmp(get, "/stable/earnings", symbol="AAPL").status_code == 200
    sandbox.control.entitlement("/stable/earnings", False)
    assert _fmp(get, "/stable/earnings", symbol="AAPL").status_code == 403


def test_the_key_check_comes_first(get, sandbox):
    sandbox.control.entitlement(UNIVERSAL, False)
    sandbox.control.entitlement(CALENDAR, False, status=402)
    assert get(UNIVERSAL, headers={}).status_code == 401
    assert get(CALENDAR, headers={}, **WINDOW).status_code == 401


def test_refused_requests_are_counted(get, sandbox):
    sandbox.control.entitlement(UNIVERSAL, False)
    get(UNIVERSAL, **{"ticker.any_of": "AAPL"})
    assert sandbox.control.count("universal_snapshot") == 1


def test_switching_it_back_on_restores_the_endpoint(get, sandbox):
    sandbox.control.entitlement(UNIVERSAL, False)
    sandbox.control.entitlement(UNIVERSAL, True)
    assert get(UNIVERSAL, **{"ticker.any_of": "AAPL"}).status_code == 200


def test_reset_restores_every_entitlement(get, sandbox):
    sandbox.control.entitlement(UNIVERSAL, False)
    sandbox.control.entitlement(CALENDAR, False, status=402)
    sandbox.control.reset()
    assert get(UNIVERSAL, **{"ticker.any_of": "AAPL"}).status_code == 200
    assert _fmp(get, CALENDAR, **WINDOW).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"), [("/v3/snapshot", 402), ("/stable/earnings-calendar", 500), ("v3/snapshot", 403)]
)
def test_a_status_the_provider_does_not_use_or_a_bad_path_is_refused(sandbox, path, status):
    with pytest.raises(requests.HTTPError, match="400"):
        sandbox.control.entitlement(path, False, status=status)
