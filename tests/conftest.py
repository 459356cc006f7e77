"""Suite-wide fixtures: a private redis-server, the sandbox provider and a pinned clock.

Each pytest process (each xdist worker) starts its own redis-server on a free loopback
port and stops it at the end; cache tests talk to that real server, never to a fake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from marketdata import clock
from mojo.localredis import INSTALL_HINT, LocalRedis, redis_server_binary

if TYPE_CHECKING:
    from marketdata.sandbox.server import SandboxServer

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday, a regular NYSE session; the sandbox and mojo's clock agree on it.
SANDBOX_TODAY = date(2026, 11, 24)
AFTER_CLOSE = datetime(2026, 11, 24, 16, 30, tzinfo=NEW_YORK)

_redis: LocalRedis | None = None


def _point_cache_at(url: str) -> None:
    from mojo.settings.base import redis_cache

    settings.REDIS_URL = url
    settings.CACHES = {"default": redis_cache(url)}
    os.environ["REDIS_URL"] = url  # processes the tests start inherit it


def pytest_configure(config: pytest.Config) -> None:
    global _redis
    if redis_server_binary() is None:
        raise pytest.UsageError(INSTALL_HINT)
    _redis = LocalRedis().start()
    _point_cache_at(_redis.url)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis is not None:
        _redis.stop()


@pytest.fixture(scope="session")
def redis_server() -> LocalRedis:
    """The suite's private redis-server (tests may stop and restart it)."""
    assert _redis is not None
    return _redis


@pytest.fixture(autouse=True)
def _clean_cache(redis_server: LocalRedis) -> Iterator[None]:
    """Start every test with an empty, running Redis and reset connection pools."""
    if not redis_server.running:
        redis_server.start()
    from django.core.cache import cache

    cache.clear()
    yield
    if not redis_server.running:
        redis_server.start()


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[datetime]:
    """Pin mojo's clock to after Tuesday's close, the sandbox's pinned today."""
    with clock.pinned(AFTER_CLOSE) as at:
        yield at


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The offline provider on a free loopback port, its today pinned to SANDBOX_TODAY."""
    from marketdata.sandbox.server import SandboxServer

    server = SandboxServer(today=SANDBOX_TODAY).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def sandbox(sandbox_server: SandboxServer, settings: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """The sandbox with faults and counters reset, and mojo's settings pointed at it.

    Autouse: no test ever reaches a real provider, and the real client code always runs.
    """
    sandbox_server.control.reset()
    settings.MASSIVE_BASE_URL = sandbox_server.base_url  # type: ignore[attr-defined]
    settings.FMP_BASE_URL = sandbox_server.base_url  # type: ignore[attr-defined]
    yield sandbox_server
    sandbox_server.control.reset()
