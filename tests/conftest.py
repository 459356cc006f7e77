"""Suite-wide fixtures: a pinned clock for every test; Redis and the sandbox for those that ask.

Redis and the sandbox are opt-in per folder: a folder whose tests need them has a
`conftest.py` with an autouse fixture asking for `redis` and/or `sandbox`, so pure tests
(OCC parsing, indicators, …) start neither. Each pytest process (each xdist worker) starts
its own redis-server on a free loopback port the first time a test asks, and stops it at
the end; cache tests talk to that real server, never to a fake. Until then the test
settings' cache refuses every call, so a test that uses the cache without asking fails
loudly instead of quietly running on something else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from marketdata import clock

if TYPE_CHECKING:
    from devtools.localredis import LocalRedis
    from devtools.sandbox.server import SandboxServer

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday, a regular NYSE session; the sandbox and mojo's clock agree on it.
SANDBOX_TODAY = date(2026, 11, 24)
AFTER_CLOSE = datetime(2026, 11, 24, 16, 30, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[datetime]:
    """Pin mojo's clock to after Tuesday's close, the sandbox's pinned today."""
    with clock.pinned(AFTER_CLOSE) as at:
        yield at


@pytest.fixture(scope="session")
def redis_server() -> Iterator[LocalRedis]:
    """This process's private redis-server, started on first use (tests may stop and restart it)."""
    from devtools.localredis import INSTALL_HINT, LocalRedis, point_cache_at, redis_server_binary

    if redis_server_binary() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = LocalRedis().start()
    point_cache_at(server.url)
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server: LocalRedis) -> Iterator[LocalRedis]:
    """An empty, running Redis for this test (started again if an earlier test stopped it)."""
    if not redis_server.running:
        redis_server.start()
    from django.core.cache import cache

    cache.clear()
    yield redis_server
    if not redis_server.running:
        redis_server.start()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The offline provider on a free loopback port, its today pinned to SANDBOX_TODAY."""
    from devtools.sandbox.server import SandboxServer

    server = SandboxServer(today=SANDBOX_TODAY).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer, settings: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """The sandbox with faults and counters reset, and mojo's settings pointed at it.

    No test that asks for it reaches a real provider, and the real client code always runs.
    """
    sandbox_server.control.reset()
    settings.MASSIVE_BASE_URL = sandbox_server.base_url  # type: ignore[attr-defined]
    settings.FMP_BASE_URL = sandbox_server.base_url  # type: ignore[attr-defined]
    yield sandbox_server
    sandbox_server.control.reset()
