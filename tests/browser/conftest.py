"""Fixtures for the browser tests: mojo as production runs it, seeded, and headless Chrome on it.

`admin_server` (one per test module) is gunicorn under production settings
(`tests.browser.settings`: static files collected once per session into a directory of the
test's own), the suite's sandbox as provider, the suite's redis-server (a database of its own,
so other tests clearing their cache leave it alone) and mojo's clock at the sandbox's moment.
It holds `seed.seed`'s user, watchlist, positions and trades, and the market data a
`refresh_market_data` run cached: the admin shows cached data only.

`browser` is a fresh headless Chrome per test (`harness.chrome`), `admin_browser` the same
logged in to the admin. Without /usr/bin/chromium or /usr/bin/chromedriver the tests skip,
saying why; with MOJO_REQUIRE_BROWSER=1 (CI) they fail instead. Browser test modules set
`pytestmark = harness.BROWSER_TESTS`: slow, one xdist group (one worker runs them in turn).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from tests.conftest import AFTER_CLOSE
from tests.ops.gunicorn import manage, running_gunicorn

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

    from devtools.localredis import LocalRedis
    from devtools.sandbox.server import SandboxServer

USERNAME = "trader"
PASSWORD = "browser-tests-password-1400"
REDIS_DATABASE = 6  # the broker takes the next one (`core.broker.broker_url_beside`)


@dataclass(frozen=True, slots=True)
class AdminServer:
    """A running, seeded mojo: where it answers and who may log in."""

    base_url: str
    username: str
    password: str
    directory: Path

    @property
    def log(self) -> Path:
        """gunicorn's output (JSON log lines), for failure messages."""
        return self.directory / "gunicorn.log"


@pytest.fixture(scope="session")
def browser_binaries() -> None:
    """Skip (fail under MOJO_REQUIRE_BROWSER=1) when Debian's chromium or chromedriver is missing."""
    from tests.browser.harness import missing_browser  # imported late: see pytest_configure

    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("MOJO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MOJO_REQUIRE_BROWSER=1: {reason}", pytrace=False)
    pytest.skip(reason)


def _settings_env(static_root: Path) -> dict[str, str]:
    return {"DJANGO_SETTINGS_MODULE": "tests.browser.settings", "MOJO_TEST_STATIC_ROOT": str(static_root)}


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory, browser_binaries: None) -> Path:
    """This session's STATIC_ROOT, filled by `collectstatic` under production storage."""
    directory = tmp_path_factory.mktemp("browser-static")
    manage(directory, "collectstatic", "--noinput", "-v", "0", env=_settings_env(directory / "static"))
    return directory / "static"


def _private_cache(redis_server: LocalRedis) -> str:
    """The URL of a flushed database of the suite's Redis for this server alone (broker beside it)."""
    url = redis_server.url.rsplit("/", 1)[0]
    for database in (REDIS_DATABASE, REDIS_DATABASE + 1):
        redis.Redis.from_url(f"{url}/{database}").flushdb()
    return f"{url}/{REDIS_DATABASE}"


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory,
    collected_static: Path,
    redis_server: LocalRedis,
    sandbox_server: SandboxServer,
) -> Iterator[AdminServer]:
    """gunicorn under production settings, seeded and with a warm cache (see the module docstring)."""
    directory = tmp_path_factory.mktemp("browser-server")
    sandbox_server.control.reset()
    env = {
        **_settings_env(collected_static),
        "REDIS_URL": _private_cache(redis_server),
        "MASSIVE_BASE_URL": sandbox_server.base_url,
        "FMP_BASE_URL": sandbox_server.base_url,
        "MASSIVE_API_KEY": "browser-massive-key",
        "FMP_API_KEY": "browser-fmp-key",
        "MOJO_FROZEN_NOW": AFTER_CLOSE.isoformat(),
    }
    with running_gunicorn(directory, workers=2, env=env) as base_url:
        seed = f"from tests.browser.seed import seed; seed(username={USERNAME!r}, password={PASSWORD!r})"
        manage(directory, "shell", "-c", seed, env=env)
        manage(directory, "refresh_market_data", "--concurrency", "2", env=env)
        yield AdminServer(base_url, USERNAME, PASSWORD, directory)


@pytest.fixture
def browser(browser_binaries: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """Headless Chrome for one test (1400×900, logs on); quit afterwards."""
    monkeypatch.setenv("SE_AVOID_STATS", "true")  # Selenium Manager must not try the network
    from tests.browser.harness import chrome

    driver = chrome()
    yield driver
    driver.quit()


@pytest.fixture
def admin_browser(browser: WebDriver, admin_server: AdminServer) -> WebDriver:
    """`browser`, logged in to `admin_server`'s admin as its staff user."""
    from tests.browser.harness import admin_login

    admin_login(browser, admin_server.base_url, admin_server.username, admin_server.password)
    return browser


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this marker itself; declared here too so these tests also run
    # with `-p no:xdist` under --strict-markers. The harness makes its BROWSER_TESTS marks as
    # it is imported, so the fixtures above import it only once this has run.
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")
