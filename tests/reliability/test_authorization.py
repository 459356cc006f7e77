"""Authorization matrix: every endpoint × anonymous / user A / user B / staff.

Users A and B each own a watchlist entry and a position; staff owns nothing. Every cell
checks the status and that nobody else's watchlist or positions changed. Other users'
objects are 404 (never 403: their existence is not revealed), staff included, and
`?refresh=true` is for staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.factories import PASSWORD, PositionFactory, TickerFactory, UserFactory, WatchlistItemFactory
from tests.reliability.conftest import client_for
from watchlist.models import Position, WatchlistItem

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "user_a", "user_b", "staff")
SYMBOL = "WMT"  # listed in the sandbox, with a small chain
CONTRACT = "O:AAPL261218P00260000"
NEW_POSITION = {
    "ticker": SYMBOL,
    "instrument": "stock",
    "quantity": 10,
    "entry_price": 61.5,
    "strategy": "stock",
}


@dataclass(frozen=True)
class Call:
    """One request; `{a_position}` in the path is user A's position id."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    def send(self, client, world: dict[str, Any]):
        url = self.path.format(a_position=world["a_position"].pk)
        return getattr(client, self.method)(url, self.body, format="json")


def _statuses(anonymous: int = 401, a: int = 200, b: int = 200, staff: int = 200) -> dict[str, int]:
    return {"anonymous": anonymous, "user_a": a, "user_b": b, "staff": staff}


OWN_ONLY = {"a": 200, "b": 404, "staff": 404}  # A's objects: A sees them, others are told "no such"
MARKET = (
    f"/api/v1/stocks/{SYMBOL}/",
    f"/api/v1/stocks/{SYMBOL}/bars/",
    f"/api/v1/stocks/{SYMBOL}/options/",
    f"/api/v1/stocks/{SYMBOL}/signals/",
    f"/api/v1/stocks/{SYMBOL}/earnings/",
    f"/api/v1/options/{CONTRACT}/",
)

MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    "watchlist_list": (Call("get", "/api/v1/watchlist/"), _statuses()),
    "watchlist_add": (
        Call("post", "/api/v1/watchlist/", {"symbol": SYMBOL}),
        _statuses(a=201, b=201, staff=201),
    ),
    "watchlist_remove_a_symbol": (
        Call("delete", "/api/v1/watchlist/AAPL/"),
        _statuses(a=204, b=404, staff=404),
    ),
    "positions_list": (Call("get", "/api/v1/positions/"), _statuses()),
    "positions_open": (Call("post", "/api/v1/positions/", NEW_POSITION), _statuses(a=201, b=201, staff=201)),
    "position_a_retrieve": (Call("get", "/api/v1/positions/{a_position}/"), _statuses(**OWN_ONLY)),
    "position_a_update": (
        Call("patch", "/api/v1/positions/{a_position}/", {"notes": "changed"}),
        _statuses(**OWN_ONLY),
    ),
    "position_a_delete": (
        Call("delete", "/api/v1/positions/{a_position}/"),
        _statuses(a=204, b=404, staff=404),
    ),
    "dashboard": (Call("get", "/api/v1/dashboard/"), _statuses()),
    "tickers_validate": (Call("post", "/api/v1/tickers/validate/", {"symbol": SYMBOL}), _statuses()),
    # The token endpoint ignores who asks: anyone with A's password gets A's token.
    "auth_token": (
        Call("post", "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}),
        _statuses(anonymous=200),
    ),
    **{f"market {url}": (Call("get", url), _statuses()) for url in MARKET},
    **{
        f"refresh {url}": (Call("get", f"{url}?refresh=true"), _statuses(a=403, b=403, staff=200))
        for url in MARKET
    },
}


@pytest.fixture
def world(user_a: User, user_b: User, staff: User) -> dict[str, Any]:
    """A owns AAPL on the watchlist and an AAPL position; B the same with MSFT."""
    positions = {}
    for user, symbol in ((user_a, "AAPL"), (user_b, "MSFT")):
        ticker = TickerFactory.create(symbol=symbol)
        WatchlistItemFactory.create(owner=user, ticker=ticker)
        positions[user.username] = PositionFactory.create(owner=user, ticker=ticker)
    TickerFactory.create(symbol=SYMBOL)  # known: adding it needs no provider validation
    return {
        "user_a": user_a,
        "user_b": user_b,
        "staff": staff,
        "anonymous": None,
        "a_position": positions["alice"],
    }


def _holdings(user: User) -> tuple[list[str], list[Any]]:
    """Everything a user owns, as plain data."""
    watchlist = sorted(WatchlistItem.objects.filter(owner=user).values_list("ticker__symbol", flat=True))
    positions = list(Position.objects.filter(owner=user).order_by("pk").values())
    return watchlist, positions


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", MATRIX)
def test_authorization_matrix(world, sandbox, name: str, role: str) -> None:
    call, expected = MATRIX[name]
    requester = world[role]
    others = [world[r] for r in ("user_a", "user_b", "staff") if world[r] != requester]
    before = [_holdings(user) for user in others]

    response = call.send(client_for(requester), world)

    assert response.status_code == expected[role], response.content
    assert [_holdings(user) for user in others] == before


def test_each_user_lists_only_their_own_watchlist(world) -> None:
    for role, symbol in (("user_a", "AAPL"), ("user_b", "MSFT"), ("staff", None)):
        body = client_for(world[role]).get("/api/v1/watchlist/").json()
        assert [row["symbol"] for row in body["results"]] == ([symbol] if symbol else [])


def test_each_user_lists_only_their_own_positions(world) -> None:
    a_position = world["a_position"]
    for role, tickers in (("user_a", ["AAPL"]), ("user_b", ["MSFT"]), ("staff", [])):
        body = client_for(world[role]).get("/api/v1/positions/").json()
        assert [row["ticker"] for row in body["results"]] == tickers
        assert (a_position.pk in [row["id"] for row in body["results"]]) == (role == "user_a")


def test_each_dashboard_shows_only_its_owners_symbols_and_positions(world, sandbox) -> None:
    a_body = client_for(world["user_a"]).get("/api/v1/dashboard/").content.decode()
    b_body = client_for(world["user_b"]).get("/api/v1/dashboard/").content.decode()

    assert ('"AAPL"' in a_body, '"MSFT"' in a_body) == (True, False)
    assert ('"MSFT"' in b_body, '"AAPL"' in b_body) == (True, False)


def test_an_opened_position_belongs_to_the_requester_whatever_the_body_says(world) -> None:
    body = NEW_POSITION | {"owner": world["user_a"].pk, "id": world["a_position"].pk}

    response = client_for(world["user_b"]).post("/api/v1/positions/", body, format="json")

    assert response.status_code == 201
    assert Position.objects.get(pk=response.json()["id"]).owner == world["user_b"]
    assert Position.objects.get(pk=world["a_position"].pk).owner == world["user_a"]


def test_the_token_endpoint_answers_the_credentials_owner_not_the_caller(world) -> None:
    from rest_framework.authtoken.models import Token

    response = client_for(world["user_b"]).post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.json()["token"] == Token.objects.get(user=world["user_a"]).key


def test_a_wrong_password_gets_no_token_whoever_asks(world) -> None:
    for role in ROLES:
        response = client_for(world[role]).post(
            "/api/v1/auth/token/", {"username": "alice", "password": "not-the-password"}, format="json"
        )
        assert response.status_code == 400, role


def test_an_inactive_users_token_is_refused(world) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=UserFactory.create(username="gone", is_active=False))
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get("/api/v1/watchlist/").status_code == 401
