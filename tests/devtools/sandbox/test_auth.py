"""Massive's authorisation: a non-empty bearer key (or ?apiKey=), else 401 with its error body."""

from __future__ import annotations

import massive
import pytest
from massive.exceptions import BadResponse

AGGS = "/v2/aggs/ticker/AAPL/range/1/day/2026-11-20/2026-11-24"


def test_no_authorization_is_401_with_massive_error_body(get):
    response = get(AGGS, headers={})
    body = response.json()
    assert response.status_code == 401
    assert body["status"] == "ERROR"
    assert body["request_id"] and body["error"]


def test_empty_bearer_key_is_401(get):
    assert get(AGGS, headers={"Authorization": "Bearer "}).status_code == 401


def test_api_key_query_parameter_is_accepted(get):
    assert get(AGGS, headers={}, apiKey="any").status_code == 200


def test_official_client_with_empty_key_gets_bad_response(sandbox):
    client = massive.RESTClient(api_key="", base=sandbox.base_url, retries=0)
    with pytest.raises(BadResponse, match="ERROR"):
        client.get_aggs("AAPL", 1, "day", "2026-11-20", "2026-11-24")


@pytest.mark.parametrize(
    "path", ["/v3/snapshot/options/AAPL", "/v3/snapshot/options/AAPL/O:AAPL261127C00290000"]
)
def test_options_endpoints_need_the_key_too(get, path):
    assert get(path, headers={}).status_code == 401
