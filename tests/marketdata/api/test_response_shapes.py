"""Each response holds exactly the fields its documented shape names, at every depth."""

from __future__ import annotations

from typing import TypedDict

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from core.api_schema import shape_serializer
from marketdata import serializers as s
from tests.shapes import assert_documented, assert_rounded

pytestmark = pytest.mark.django_db


class Novel(TypedDict):
    novel: float


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("shapes", password="pw-shapes-123"))
    return client


@pytest.mark.parametrize(
    ("url", "serializer"),
    [
        ("/api/v1/stocks/AAPL/", s.StockSerializer),
        ("/api/v1/stocks/AAPL/bars/?days=30", s.BarsSerializer),
        ("/api/v1/stocks/AAPL/earnings/", s.EarningsSerializer),
        ("/api/v1/stocks/AAPL/options/?max_dte=30", s.OptionsSerializer),
        ("/api/v1/stocks/AAPL/signals/?include_earnings=true", s.SignalsSerializer),
    ],
)
def test_market_data_responses_hold_exactly_their_documented_fields(api, url, serializer) -> None:
    response = api.get(url)
    assert response.status_code == 200, response.content
    assert_documented(response.json(), serializer())


@pytest.mark.parametrize(
    ("url", "serializer"),
    [
        ("/api/v1/stocks/AAPL/", s.StockSerializer),
        ("/api/v1/stocks/AAPL/bars/?days=30", s.BarsSerializer),
        ("/api/v1/stocks/AAPL/earnings/", s.EarningsSerializer),
        ("/api/v1/stocks/AAPL/options/", s.OptionsSerializer),
        ("/api/v1/stocks/AAPL/signals/?include_earnings=true", s.SignalsSerializer),
    ],
)
def test_every_number_is_rounded_by_its_policy(api, url, serializer) -> None:
    response = api.get(url)
    assert response.status_code == 200, response.content
    assert_rounded(response.json(), serializer())


def test_signals_candidates_of_every_strategy_are_documented(api) -> None:
    body = api.get("/api/v1/stocks/AAPL/signals/?include_earnings=true").json()
    assert all(body["strategies"][name] for name in ("csp", "covered_call", "leaps", "pmcc"))
    assert_documented(body, s.SignalsSerializer())


def test_option_quote_response_holds_exactly_its_documented_fields(api) -> None:
    option_ticker = api.get("/api/v1/stocks/AAPL/options/?max_dte=30").json()["results"][0]["option_ticker"]
    response = api.get(f"/api/v1/options/{option_ticker}/")
    assert response.status_code == 200, response.content
    assert_documented(response.json(), s.OptionQuoteSerializer())
    assert_rounded(response.json(), s.OptionQuoteSerializer())


def test_a_number_with_too_many_decimals_or_no_policy_is_caught() -> None:
    with pytest.raises(AssertionError, match="more than 4 decimals"):
        assert_rounded({"price": 56.260000000000005}, s.OptionQuoteSerializer())
    with pytest.raises(AssertionError, match="no rounding policy"):
        assert_rounded({"novel": 1.5}, shape_serializer(Novel)())


def test_an_undocumented_key_is_caught() -> None:
    with pytest.raises(AssertionError, match="undocumented"):
        assert_documented({"symbol": "AAPL", "valid": True, "extra": 1}, s.ValidateTickerResponseSerializer())


@pytest.mark.parametrize("strategy", ["csp,,leaps", "csp;leaps", "straddle"])
def test_a_strategy_list_outside_its_pattern_is_refused(api, strategy: str) -> None:
    response = api.get(f"/api/v1/stocks/AAPL/signals/?strategy={strategy}")
    assert response.status_code == 400
    assert "strategy" in response.json()["error"]["details"]


def test_a_strategy_list_with_spaces_is_taken(api) -> None:
    body = api.get("/api/v1/stocks/AAPL/signals/?strategy= csp , leaps").json()
    assert set(body["strategies"]) == {"csp", "leaps"}
