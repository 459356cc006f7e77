"""REST API under /api/v1/: the requesting user's watchlist and positions, and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD, PositionFactory, UserFactory, WatchlistItemFactory
from watchlist.models import Position, Ticker, WatchlistItem

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 5, 15, tzinfo=UTC)
TOKEN_URL = "/api/v1/auth/token/"
WATCHLIST = "/api/v1/watchlist/"
POSITIONS = "/api/v1/positions/"
WRONG_PASSWORD = "nope"


@pytest.fixture
def user():
    return UserFactory.create(username="alice")


@pytest.fixture
def api(user) -> APIClient:
    """A client authenticated with the user's API token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Assert the JSON error shape and status; return the error object."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def _option_body(**overrides):
    return {
        "ticker": "AAPL",
        "instrument": "option",
        "option_ticker": "O:AAPL261218P00150000",
        "quantity": -1,
        "entry_price": "2.35",
        "strategy": "csp",
    } | overrides


# --- Authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", WATCHLIST),
        ("post", WATCHLIST),
        ("delete", f"{WATCHLIST}AAPL/"),
        ("get", POSITIONS),
        ("post", POSITIONS),
        ("get", f"{POSITIONS}1/"),
        ("patch", f"{POSITIONS}1/"),
        ("delete", f"{POSITIONS}1/"),
    ],
)
def test_anonymous_requests_get_401_with_the_json_error(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert_error(response, 401, "not_authenticated")


def test_token_endpoint_exchanges_credentials_for_a_working_token(user):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(WATCHLIST).status_code == 200


def test_token_endpoint_rejects_a_wrong_password_with_400(user):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "nope"}, format="json")
    assert_error(response, 400, "invalid")


@pytest.fixture
def auth_limit(monkeypatch) -> int:
    """Token requests allowed per client address and minute (DRF reads rates once, at import)."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "600/min", "auth": "3/min"})
    return 3


def _token_request(address: str, password: str = WRONG_PASSWORD):
    body = {"username": "alice", "password": password}
    return APIClient().post(TOKEN_URL, body, format="json", REMOTE_ADDR=address)


def test_token_endpoint_is_throttled_per_client_address(user, auth_limit):
    for _ in range(auth_limit):
        _token_request("10.0.0.1")
    statuses = [_token_request(address).status_code for address in ("10.0.0.1", "10.0.0.2")]
    assert statuses == [429, 400]


def test_a_throttled_token_request_says_when_its_oldest_slot_frees(user, auth_limit):
    for _ in range(auth_limit):
        _token_request("10.0.0.1")
    response = _token_request("10.0.0.1")
    assert_error(response, 429, "throttled")
    assert response["Retry-After"] == "60"  # the first slot, taken a few ms ago, frees in 60 s


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_token_endpoint_works_while_redis_is_down(user, auth_limit, redis_server):
    redis_server.stop()
    statuses = [_token_request("10.0.0.1", PASSWORD).status_code for _ in range(auth_limit + 1)]
    assert statuses == [200] * (auth_limit + 1)


def test_session_authentication_works(user):
    client = APIClient()
    client.force_login(user)
    assert client.get(POSITIONS).status_code == 200


# --- Watchlist -------------------------------------------------------------------------------------


def test_watchlist_lists_only_the_users_symbols(api, user):
    WatchlistItemFactory.create(owner=user, ticker__symbol="MSFT", ticker__name="Microsoft")
    WatchlistItemFactory.create(ticker__symbol="NVDA")
    body = api.get(WATCHLIST).json()
    assert [(item["symbol"], item["name"]) for item in body["results"]] == [("MSFT", "Microsoft")]


def test_adding_a_symbol_answers_201_with_the_item(api):
    response = api.post(WATCHLIST, {"symbol": "aapl"}, format="json")
    assert (response.status_code, response.json()["symbol"]) == (201, "AAPL")


def test_adding_a_symbol_twice_answers_200_and_keeps_one_row(api):
    api.post(WATCHLIST, {"symbol": "AAPL"}, format="json")
    response = api.post(WATCHLIST, {"symbol": "AAPL"}, format="json")
    assert (response.status_code, WatchlistItem.objects.count()) == (200, 1)


@pytest.mark.parametrize("body", [{"symbol": "AAPL1"}, {"symbol": "BRK.BBB"}, {"symbol": ""}, {}])
def test_adding_an_invalid_symbol_answers_400_and_writes_nothing(api, body):
    error = assert_error(api.post(WATCHLIST, body, format="json"), 400, "invalid")
    assert "symbol" in error["details"]
    assert (WatchlistItem.objects.count(), Ticker.objects.count()) == (0, 0)


def test_class_share_symbol_round_trips_through_the_url(api):
    symbol = api.post(WATCHLIST, {"symbol": "brk-b"}, format="json").json()["symbol"]
    assert api.delete(f"{WATCHLIST}{symbol}/").status_code == 204
    assert (symbol, WatchlistItem.objects.count()) == ("BRK.B", 0)


def test_removing_a_symbol_not_on_the_watchlist_is_a_json_404(api):
    WatchlistItemFactory.create(ticker__symbol="AAPL")  # someone else's
    assert_error(api.delete(f"{WATCHLIST}AAPL/"), 404, "not_found")
    assert WatchlistItem.objects.count() == 1


def test_removing_a_malformed_symbol_is_a_json_400(api):
    assert_error(api.delete(f"{WATCHLIST}NOT.ASYMBOL/"), 400, "invalid_symbol")


# --- Positions: create -----------------------------------------------------------------------------------


def test_opening_an_option_position_returns_its_derived_contract_fields(api):
    response = api.post(POSITIONS, _option_body(), format="json")
    body = response.json()
    assert response.status_code == 201
    derived = ("ticker", "contract_type", "strike", "expiration", "multiplier", "status")
    assert {key: body[key] for key in derived} == {
        "ticker": "AAPL",
        "contract_type": "put",
        "strike": 150.0,
        "expiration": "2026-12-18",
        "multiplier": 100,
        "status": "open",
    }


def test_opening_a_stock_position_stores_it_for_the_user(api, user):
    body = {"ticker": "MSFT", "instrument": "stock", "quantity": 10, "entry_price": 410.5}
    response = api.post(POSITIONS, body | {"strategy": "stock"}, format="json")
    assert response.status_code == 201
    assert Position.objects.get(pk=response.json()["id"]).owner == user


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ticker": "AAPL1"}, "ticker"),
        ({"option_ticker": "AAPL 150 put"}, "option_ticker"),
        ({"option_ticker": "O:MSFT261218P00150000"}, "option_ticker"),
        ({"option_ticker": None}, "option_ticker"),
        ({"entry_price": "0"}, "entry_price"),
        ({"entry_price": "-2.35"}, "entry_price"),
        ({"entry_price": "abc"}, "entry_price"),
        ({"quantity": 0}, "quantity"),
        ({"exit_price": "1.10"}, "closed_at"),
        ({"closed_at": "2026-11-01T15:00:00Z", "exit_price": "1.10"}, "closed_at"),
        ({"strategy": "stock"}, "strategy"),
        ({"strategy": "wheel"}, "strategy"),
        ({"instrument": "future"}, "instrument"),
    ],
    ids=lambda value: str(value),
)
def test_invalid_position_answers_400_and_writes_nothing(api, overrides, field):
    error = assert_error(api.post(POSITIONS, _option_body(**overrides), format="json"), 400, "invalid")
    assert field in error["details"]
    assert (Position.objects.count(), Ticker.objects.count()) == (0, 0)


# --- Positions: read -------------------------------------------------------------------------------


def test_positions_list_is_paginated_and_only_the_users(api, user):
    mine = PositionFactory.create(owner=user)
    PositionFactory.create()
    body = api.get(POSITIONS).json()
    assert (body["count"], [row["id"] for row in body["results"]]) == (1, [mine.pk])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ticker=brk.b", {"brk"}),
        ("strategy=csp", {"csp"}),
        ("status=closed", {"closed"}),
        ("status=open", {"brk", "csp"}),
    ],
)
def test_positions_list_filters(api, user, query, expected):
    positions = {
        "brk": PositionFactory.create(owner=user, ticker__symbol="BRK.B"),
        "csp": PositionFactory.create(owner=user, option=True),
        "closed": PositionFactory.create(
            owner=user, opened_at=JAN, closed_at=JAN + timedelta(days=30), exit_price=Decimal("160")
        ),
    }
    ids = {row["id"] for row in api.get(f"{POSITIONS}?{query}").json()["results"]}
    assert ids == {positions[name].pk for name in expected}


@pytest.mark.parametrize(("query", "field"), [("status=pending", "status"), ("ticker=NOT.VALID", "ticker")])
def test_positions_list_rejects_an_invalid_filter(api, query, field):
    error = assert_error(api.get(f"{POSITIONS}?{query}"), 400, "invalid")
    assert field in error["details"]


def test_position_detail_returns_the_users_position(api, user):
    position = PositionFactory.create(owner=user, option=True, ticker__symbol="GME")
    body = api.get(f"{POSITIONS}{position.pk}/").json()
    assert (body["id"], body["option_ticker"]) == (position.pk, "O:GME261218P00150000")


def test_another_users_position_is_a_404_like_a_missing_one(api):
    other = PositionFactory.create()
    missing = api.get(f"{POSITIONS}{other.pk + 1000}/").json()
    assert_error(api.get(f"{POSITIONS}{other.pk}/"), 404, "not_found")
    assert api.get(f"{POSITIONS}{other.pk}/").json() == missing


# --- Positions: update and delete ---------------------------------------------------------------------------


def test_patch_closes_the_position(api, user):
    position = PositionFactory.create(owner=user)
    close = {"closed_at": "2026-11-24T22:00:00Z", "exit_price": 171.25}
    response = api.patch(f"{POSITIONS}{position.pk}/", close, format="json")
    body = response.json()
    assert (response.status_code, body["status"], body["exit_price"]) == (200, "closed", 171.25)


@pytest.mark.parametrize(
    ("factory_kwargs", "change"),
    [
        ({}, {"ticker": "MSFT"}),
        ({}, {"instrument": "option", "option_ticker": "O:AAPL261218P00150000"}),
        ({"option": True}, {"option_ticker": "O:AAPL261218P00160000"}),
    ],
    ids=["ticker", "instrument", "option_ticker"],
)
def test_patch_cannot_change_instrument_ticker_or_option_ticker(api, user, factory_kwargs, change):
    position = PositionFactory.create(owner=user, ticker__symbol="AAPL", **factory_kwargs)
    response = api.patch(f"{POSITIONS}{position.pk}/", change | {"notes": "changed"}, format="json")
    error = assert_error(response, 400, "invalid")
    position.refresh_from_db()
    assert (next(iter(change)) in error["details"], position.notes) == (True, "")


def test_patch_with_an_invalid_value_saves_nothing(api, user):
    position = PositionFactory.create(owner=user, quantity=100)
    assert_error(api.patch(f"{POSITIONS}{position.pk}/", {"quantity": 0, "notes": "x"}, format="json"), 400)
    position.refresh_from_db()
    assert (position.quantity, position.notes) == (100, "")


def test_patch_of_another_users_position_is_a_404_and_changes_nothing(api):
    other = PositionFactory.create(notes="")
    assert_error(api.patch(f"{POSITIONS}{other.pk}/", {"notes": "mine now"}, format="json"), 404)
    other.refresh_from_db()
    assert other.notes == ""


def test_delete_removes_the_users_position(api, user):
    position = PositionFactory.create(owner=user)
    assert api.delete(f"{POSITIONS}{position.pk}/").status_code == 204
    assert not Position.objects.exists()


def test_delete_of_another_users_position_is_a_404_and_keeps_it(api):
    other = PositionFactory.create()
    assert_error(api.delete(f"{POSITIONS}{other.pk}/"), 404)
    assert Position.objects.filter(pk=other.pk).exists()
