"""Positions are legs of trades: one opened through /positions/ is a one-leg trade that closes with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketdata import clock
from tests.factories import UserFactory
from watchlist.models import Position, Trade

pytestmark = pytest.mark.django_db

POSITIONS = "/api/v1/positions/"


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory.create()).key}")
    return client


def _open(api: APIClient, strategy: str, **fields: object) -> dict:
    body = {
        "ticker": "AAPL",
        "instrument": "option",
        "option_ticker": "O:AAPL261218C00300000",
        "quantity": -1,
        "entry_price": "4.10",
        "strategy": strategy,
    } | fields
    response = api.post(POSITIONS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("leg", "trade"),
    [("pmcc_short", "pmcc"), ("pmcc_long", "pmcc"), ("covered_call", "covered_call"), ("other", "other")],
)
def test_a_position_opened_alone_is_a_one_leg_trade_of_the_mapped_strategy(api, leg, trade) -> None:
    body = _open(api, leg, quantity=1 if leg == "pmcc_long" else -1)

    opened = Trade.objects.get(pk=body["trade"])
    assert (opened.strategy, opened.status) == (trade, "open")
    assert list(opened.legs.values_list("pk", flat=True)) == [body["id"]]
    assert body["fees"] == 0


def test_closing_a_position_at_zero_closes_its_trade_and_reopening_reopens_it(api) -> None:
    body = _open(api, "covered_call", fees="0.65")
    closed_at = clock.now() + timedelta(days=1)

    closed = api.patch(f"{POSITIONS}{body['id']}/", {"closed_at": closed_at.isoformat(), "exit_price": 0})
    trade = Trade.objects.get(pk=body["trade"])

    assert closed.status_code == 200, closed.json()
    assert (closed.json()["exit_price"], closed.json()["fees"]) == (0, 0.65)
    assert (trade.status, trade.closed_at) == ("closed", closed_at)
    reopened = api.patch(f"{POSITIONS}{body['id']}/", {"closed_at": None, "exit_price": None}, format="json")
    assert reopened.status_code == 200, reopened.json()
    assert Trade.objects.get(pk=body["trade"]).status == "open"


def test_a_negative_exit_price_or_fee_is_a_400_and_changes_nothing(api) -> None:
    body = _open(api, "covered_call")

    refused = api.patch(
        f"{POSITIONS}{body['id']}/", {"closed_at": clock.now().isoformat(), "exit_price": -0.01, "fees": -1}
    )

    assert refused.status_code == 400
    assert set(refused.json()["error"]["details"]) == {"exit_price", "fees"}
    assert Position.objects.get(pk=body["id"]).closed_at is None
    assert Trade.objects.get(pk=body["trade"]).status == "open"


def test_deleting_a_trades_only_leg_deletes_the_trade(api) -> None:
    body = _open(api, "covered_call")

    assert api.delete(f"{POSITIONS}{body['id']}/").status_code == 204
    assert not Trade.objects.filter(pk=body["trade"]).exists()
