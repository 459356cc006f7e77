"""Redis outage: requests keep being answered while the cache's redis-server stops and restarts.

Marked slow: the tests stop and start this worker's redis-server process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from itertools import cycle, islice

import pytest
from rest_framework.test import APIClient

from devtools.localredis import LocalRedis
from marketdata import cache
from tests.factories import PASSWORD, PositionFactory, TickerFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

REQUESTS = 200
CONTRACT = "O:AAPL261218P00260000"  # listed in the sandbox's AAPL chain
STOP_AT, START_AT = 50, 150  # Redis is down for requests [50, 150)

URLS = (
    "/api/v1/stocks/AAPL/",
    "/api/v1/stocks/MSFT/bars/?days=30",
    "/api/v1/stocks/AAPL/earnings/",
    "/api/v1/stocks/WMT/options/?type=put",
    f"/api/v1/options/{CONTRACT}/",
    "/api/v1/watchlist/",
    "/api/v1/positions/",
    "/api/v1/dashboard/",
)


@pytest.fixture
def holdings(user_a) -> None:
    for symbol in ("AAPL", "MSFT"):
        WatchlistItemFactory.create(owner=user_a, ticker=TickerFactory.create(symbol=symbol))
    PositionFactory.create(
        owner=user_a, ticker=TickerFactory.create(symbol="AAPL"), option=True, option_ticker=CONTRACT
    )


@pytest.fixture
def local_layer() -> Iterator[None]:
    """Leave no in-process entries behind for the next test."""
    yield
    cache.local_entries.clear()


@pytest.mark.slow
@pytest.mark.usefixtures("local_layer")
@pytest.mark.parametrize("local_cache_seconds", [0.0, 2.0], ids=["redis_only", "with_local_layer"])
def test_no_request_fails_while_redis_stops_and_restarts(
    api, holdings, redis_server: LocalRedis, sandbox, settings, local_cache_seconds: float
) -> None:
    settings.MARKETDATA_LOCAL_CACHE_SECONDS = local_cache_seconds
    statuses: Counter[tuple[str, int]] = Counter()
    for number, url in enumerate(islice(cycle(URLS), REQUESTS)):
        if number == STOP_AT:
            redis_server.stop()
        elif number == START_AT:
            redis_server.start()
        statuses[(url, api.get(url).status_code)] += 1

    server_errors = {key: n for key, n in statuses.items() if key[1] >= 500}
    assert server_errors == {}
    # The provider is healthy throughout: without the cache every answer is still a 200.
    assert {status for _, status in statuses} == {200}


@pytest.mark.slow
def test_caching_resumes_after_redis_comes_back(api, redis_server: LocalRedis, redis_client, sandbox) -> None:
    redis_server.stop()
    assert api.get("/api/v1/stocks/AAPL/").status_code == 200
    redis_server.start()
    api.get("/api/v1/stocks/AAPL/")
    sandbox.control.reset()

    body = api.get("/api/v1/stocks/AAPL/").json()

    assert body["meta"]["cached"] is True
    assert sandbox.control.counters()["total"] == 0


@pytest.mark.slow
def test_token_endpoint_answers_while_redis_is_down(user_a, redis_server: LocalRedis) -> None:
    redis_server.stop()

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user_a.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
