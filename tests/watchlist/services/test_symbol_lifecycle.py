"""A symbol's life on watchlists: validated with the provider when new, its cache dropped when unwatched."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from marketdata import cache, services
from tests.factories import UserFactory
from watchlist.models import Position, Ticker, WatchlistItem

pytestmark = pytest.mark.django_db(transaction=True)  # invalidation runs on commit


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_unknown_symbol_added_to_a_watchlist_is_400_and_nothing_is_stored(sandbox) -> None:
    response = _client(UserFactory.create()).post("/api/v1/watchlist/", {"symbol": "ZZZZ"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_symbol"
    assert not Ticker.objects.exists() and not WatchlistItem.objects.exists()


def test_position_on_an_unknown_symbol_is_400_and_nothing_is_stored(sandbox) -> None:
    body = {
        "ticker": "ZZZZ",
        "instrument": "stock",
        "quantity": 5,
        "entry_price": "10.00",
        "strategy": "stock",
    }
    response = _client(UserFactory.create()).post("/api/v1/positions/", body, format="json")
    assert response.json()["error"]["code"] == "unknown_symbol"
    assert not Ticker.objects.exists() and not Position.objects.exists()


def test_provider_down_when_adding_a_new_symbol_is_503_and_nothing_is_stored(sandbox) -> None:
    sandbox.control.down()
    response = _client(UserFactory.create()).post("/api/v1/watchlist/", {"symbol": "MSFT"})
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not Ticker.objects.exists()


def test_known_symbol_needs_no_upstream_call(sandbox) -> None:
    _client(UserFactory.create()).post("/api/v1/watchlist/", {"symbol": "MSFT"})
    before = sandbox.control.counters()["total"]
    _client(UserFactory.create()).post("/api/v1/watchlist/", {"symbol": "MSFT"})
    assert sandbox.control.counters()["total"] == before


def _warm(symbol: str) -> str:
    services.stock_data_get(symbol)
    chain = services.options_chain_get(symbol).value
    contract = services.chain_contracts(chain)[0]
    services.option_price_get(symbol, contract.option_ticker)
    return contract.option_ticker


def test_last_watcher_removing_a_symbol_drops_its_keys_and_no_others(sandbox) -> None:
    alice, bob, carol = UserFactory.create(), UserFactory.create(), UserFactory.create()
    for user, symbol in ((alice, "AAPL"), (bob, "AAPL"), (carol, "A")):
        assert _client(user).post("/api/v1/watchlist/", {"symbol": symbol}).status_code == 201
    aapl_option, a_option = _warm("AAPL"), _warm("A")
    aapl_keys = [
        cache.stock_cache_key("AAPL"),
        cache.options_cache_key("AAPL"),
        cache.option_price_cache_key(aapl_option),
    ]

    _client(alice).delete("/api/v1/watchlist/AAPL/")
    assert all(cache.read(key) is not None for key in aapl_keys), "bob still watches AAPL"

    _client(bob).delete("/api/v1/watchlist/AAPL/")
    assert all(cache.read(key) is None for key in aapl_keys)
    assert cache.read(cache.stock_cache_key("A")) is not None
    assert cache.read(cache.option_price_cache_key(a_option)) is not None
