"""Market-data REST API end to end: sandbox over HTTP, real Redis, DRF test client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import redis as redis_py
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from marketdata import cache, clock, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("trader", password="pw-trader-123")


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("ops", password="pw-ops-123", is_staff=True)


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_stock_endpoint_returns_price_indicators_and_meta(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/").json()
    bars = services.stock_bars(services.stock_bars_get("AAPL").value)
    assert body["symbol"] == "AAPL"
    assert body["price"] == bars[-1].close
    assert body["sma_20"] == pytest.approx(sum(b.close for b in bars[-20:]) / 20)
    assert set(body["meta"]) == {"as_of", "cached", "stale"}
    assert body["earnings_status"] == "scheduled"
    assert date.fromisoformat(body["earnings_date"]) >= clock.market_today()
    for field in ("high_52w", "low_52w", "rsi_14", "atr_14", "hv_20", "swing_highs", "support_levels"):
        assert field in body


def test_second_stock_request_is_served_from_the_cache(api, sandbox) -> None:
    api.get("/api/v1/stocks/AAPL/")
    body = api.get("/api/v1/stocks/AAPL/").json()
    assert body["meta"]["cached"] is True
    assert sandbox.control.count("aggs") == 1


def test_class_share_symbol_works_in_the_url(api, sandbox) -> None:
    assert api.get("/api/v1/stocks/BRK.B/").json()["symbol"] == "BRK.B"


def test_invalid_symbol_is_400_without_upstream_call(api, sandbox) -> None:
    assert_error(api.get("/api/v1/stocks/TOOLONGSYMBOL/"), 400, "invalid_symbol")
    assert sandbox.control.counters()["total"] == 0


def test_unknown_symbol_is_404(api, sandbox) -> None:
    assert_error(api.get("/api/v1/stocks/ZZZZ/"), 404, "ticker_not_found")


def test_provider_down_with_nothing_cached_is_503_with_retry_after(api, sandbox) -> None:
    sandbox.control.down()
    response = api.get("/api/v1/stocks/AAPL/")
    assert_error(response, 503, "provider_unavailable")
    assert int(response["Retry-After"]) >= 1


def test_provider_down_with_stale_cache_is_200_flagged_stale(api, sandbox, pinned_clock) -> None:
    api.get("/api/v1/stocks/AAPL/")
    sandbox.control.down()
    # A day later the next session is missing from stored history: the provider is needed.
    with clock.pinned(pinned_clock + timedelta(days=1)):
        response = api.get("/api/v1/stocks/AAPL/")
    assert response.status_code == 200
    assert response.json()["meta"]["stale"] is True


def test_after_a_redis_flush_the_stock_endpoint_recomputes_the_same_figures_from_stored_history(
    api, sandbox, redis
) -> None:
    first = api.get("/api/v1/stocks/AAPL/").json()
    redis_py.Redis.from_url(redis.url).flushdb()
    cache.local_entries.clear()
    sandbox.control.reset()

    again = api.get("/api/v1/stocks/AAPL/").json()

    assert again["meta"]["cached"] is False  # recomputed, not served from a surviving entry
    assert {k: v for k, v in again.items() if k != "meta"} == {k: v for k, v in first.items() if k != "meta"}
    assert sandbox.control.count("aggs") == 0


def test_earnings_unknown_when_fmp_has_no_key(api, sandbox, settings) -> None:
    settings.FMP_API_KEY = ""
    body = api.get("/api/v1/stocks/AAPL/").json()
    assert (body["earnings_date"], body["earnings_status"]) == (None, "unknown")


def test_bars_endpoint_limits_by_days(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/bars/?days=30").json()
    sessions = [date.fromisoformat(b["date"]) for b in body["bars"]]
    assert 15 <= len(sessions) <= 23
    assert sessions == sorted(sessions)


def test_options_endpoint_filters_by_type_and_dte(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/options/?type=put&min_dte=20&max_dte=45").json()
    assert body["results"]
    assert all(r["contract_type"] == "put" and 20 <= r["dte"] <= 45 for r in body["results"])
    assert body["atm_iv"] is not None
    assert body["iv_rank"] is None and body["iv_rank_reason"]  # no stored history yet
    assert [w["max_dte"] for w in body["windows"]] == [60, 900]


def test_options_filters_outside_the_fetched_windows_return_what_exists(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/options/?min_dte=100&max_dte=200").json()
    assert body["results"] == []
    assert body["windows"]


@pytest.mark.parametrize(
    "query",
    ["min_dte=50&max_dte=10", "type=straddle", "min_dte=abc", "min_delta=2", "min_delta=0.5&max_delta=0.1"],
)
def test_options_bad_parameters_are_400(api, sandbox, query) -> None:
    assert_error(api.get(f"/api/v1/stocks/AAPL/options/?{query}"), 400, "invalid")


def test_signals_endpoint_returns_each_requested_strategy(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/signals/?strategy=csp,leaps").json()
    assert set(body["strategies"]) == {"csp", "leaps"}
    assert body["strategies"]["csp"], "a liquid sandbox chain has CSP candidates"
    leg = body["strategies"]["csp"][0]["legs"][0]
    assert leg["contract_type"] == "put" and leg["side"] == "sell"


def test_unknown_strategy_is_400(api, sandbox) -> None:
    assert_error(api.get("/api/v1/stocks/AAPL/signals/?strategy=iron_condor"), 400, "invalid")


def test_earnings_endpoint(api, sandbox) -> None:
    body = api.get("/api/v1/stocks/AAPL/earnings/").json()
    assert body["earnings_status"] == "scheduled"
    assert body["upcoming"][0] == body["earnings_date"]
    assert body["days_to_earnings"] == (date.fromisoformat(body["earnings_date"]) - clock.market_today()).days


def test_option_endpoint_prices_a_contract(api, sandbox) -> None:
    chain = services.options_chain_get("AAPL").value
    contract = next(c for c in services.chain_contracts(chain) if c.bid and c.ask and c.delta is not None)
    body = api.get(f"/api/v1/options/{contract.option_ticker}/").json()
    assert body["underlying"] == "AAPL"
    assert body["price"] == pytest.approx((contract.bid + contract.ask) / 2)
    assert body["price_source"] == "mid"
    assert body["greeks_source"] == "provider"


def test_malformed_option_ticker_is_400(api, sandbox) -> None:
    assert_error(api.get("/api/v1/options/O:AAPL26XX18C00200000/"), 400, "invalid_option_ticker")


def test_validate_ticker(api, sandbox) -> None:
    assert api.post("/api/v1/tickers/validate/", {"symbol": "msft"}).json() == {
        "symbol": "MSFT",
        "valid": True,
    }
    assert api.post("/api/v1/tickers/validate/", {"symbol": "ZZZZ"}).json() == {
        "symbol": "ZZZZ",
        "valid": False,
    }


def test_validate_ticker_asks_ticker_details_not_bars(api, sandbox) -> None:
    api.post("/api/v1/tickers/validate/", {"symbol": "MSFT"})
    assert (sandbox.control.count("ticker_details"), sandbox.control.count("aggs")) == (1, 0)


def test_validate_ticker_of_an_unsupported_type_is_400(api, sandbox) -> None:
    sandbox.control.ticker_details("QQQ", type="FUND")
    response = api.post("/api/v1/tickers/validate/", {"symbol": "QQQ"})
    assert_error(response, 400, "unsupported_ticker_type")
    assert response.json()["error"]["details"]["type"] == "FUND"


def test_validate_ticker_bad_form_is_400_without_upstream_call(api, sandbox) -> None:
    assert_error(api.post("/api/v1/tickers/validate/", {"symbol": "12$"}), 400, "invalid_symbol")
    assert sandbox.control.counters()["total"] == 0


def test_validate_ticker_with_provider_down_is_503(api, sandbox) -> None:
    sandbox.control.down()
    assert_error(api.post("/api/v1/tickers/validate/", {"symbol": "MSFT"}), 503, "provider_unavailable")


def test_refresh_is_forbidden_for_non_staff(api, sandbox) -> None:
    assert_error(api.get("/api/v1/stocks/AAPL/?refresh=true"), 403, "permission_denied")


def test_refresh_by_staff_recomputes_from_stored_history(staff, sandbox) -> None:
    client = APIClient()
    client.force_authenticate(staff)
    client.get("/api/v1/stocks/AAPL/")
    body = client.get("/api/v1/stocks/AAPL/?refresh=true").json()
    assert body["meta"]["cached"] is False
    assert sandbox.control.count("aggs") == 1


def test_anonymous_is_401(sandbox) -> None:
    assert_error(APIClient().get("/api/v1/stocks/AAPL/"), 401, "not_authenticated")


def test_user_over_the_api_rate_gets_429_with_retry_after(api, sandbox, monkeypatch) -> None:
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates from settings once, at import.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/min", "auth": "10/min"})
    statuses = [api.get("/api/v1/stocks/AAPL/earnings/").status_code for _ in range(2)]
    response = api.get("/api/v1/stocks/AAPL/earnings/")
    assert statuses == [200, 200]
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
