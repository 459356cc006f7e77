"""Interrupted refresh: `refresh_market_data` killed with SIGKILL mid-run leaves no partial entry.

The command runs in its own process against the suite's Redis and sandbox. Stock data and
earnings of all three symbols are refreshed first, together; then each symbol's chain, one
symbol at a time. The second symbol's chain request hangs, so the kill lands at a known
point: every symbol's stock data and the first symbol's everything written, the second's
chain in flight.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from devtools.localredis import LocalRedis
from marketdata import cache

ROOT = Path(__file__).resolve().parents[2]
FIRST, SECOND, THIRD = "WMT", "MSFT", "KO"
TICKERS = (FIRST, SECOND, THIRD)
HANG_SECONDS = 30.0  # far longer than the test waits: the request is in flight when killed
WAIT_SECONDS = 60.0


def _settings_env(redis_server: LocalRedis, database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"sqlite:///{database}",
    }


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory, redis_server: LocalRedis) -> Path:
    """A migrated SQLite file, made once; each test runs on its own copy."""
    database = tmp_path_factory.mktemp("refresh") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=_settings_env(redis_server, database),
        check=True,
        capture_output=True,
        timeout=120,
    )
    return database


@pytest.fixture
def command_env(
    tmp_path: Path, migrated_database: Path, redis_server: LocalRedis, sandbox, pinned_clock
) -> dict[str, str]:
    """The environment of a cron run: test settings, our Redis and sandbox, a migrated database."""
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_database, database)
    return {
        **_settings_env(redis_server, database),
        "MASSIVE_BASE_URL": sandbox.base_url,
        "FMP_BASE_URL": sandbox.base_url,
        "MOJO_FROZEN_NOW": pinned_clock.isoformat(),
    }


def _refresh(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "refresh_market_data", "--tickers", *TICKERS, "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    give_up = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"refresh exited ({process.returncode}) before {what}: {err}")
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _in_flight(sandbox, symbol: str) -> bool:
    paths = sandbox.control.counters()["by_path"]
    return any(path.startswith(f"/v3/snapshot/options/{symbol}") for path in paths)


def _stored(redis_client: redis.Redis) -> dict[str, cache.Entry | None]:
    """Every market-data key in Redis, decoded the way mojo reads it."""
    keys = sorted(key.decode() for key in redis_client.scan_iter(f"{cache.KEY_PREFIX}*"))
    return {key: cache.read(key) for key in keys}


def _by_symbol(stored: dict[str, cache.Entry | None]) -> dict[str, set[str]]:
    """{symbol: {data set, ...}} of market-data keys."""
    grouped: dict[str, set[str]] = {}
    for key in stored:
        dataset, symbol = key.removeprefix(cache.KEY_PREFIX).split(":", 1)
        grouped.setdefault(symbol, set()).add(dataset)
    return grouped


def _complete(entry: cache.Entry | None) -> bool:
    return entry is not None and not entry.missing and entry.value is not None


@pytest.fixture
def killed_run(command_env, sandbox, redis_client: redis.Redis) -> Iterator[None]:
    """A refresh killed (SIGKILL) after FIRST is written, while SECOND's chain request hangs."""
    sandbox.control.fault(path=f"/v3/snapshot/options/{SECOND}", kind="hang", seconds=HANG_SECONDS)
    process = _refresh(command_env)
    try:
        _wait_until(
            lambda: redis_client.exists(cache.options_cache_key(FIRST)) == 1, process, "FIRST written"
        )
        _wait_until(lambda: _in_flight(sandbox, SECOND), process, "SECOND in flight")
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.communicate()
    yield


@pytest.mark.slow
def test_killed_refresh_leaves_exactly_the_first_symbols_complete_entries(
    killed_run, command_env, redis_client: redis.Redis
) -> None:
    written = _stored(redis_client)
    assert all(_complete(entry) for entry in written.values()), written.keys()
    by_symbol = _by_symbol(written)
    # Stock data and earnings are refreshed for all symbols at once, before the chains.
    assert by_symbol[SECOND] == by_symbol[THIRD] == {cache.STOCK, cache.BARS, cache.EARNINGS}
    assert not redis_client.exists(cache.last_refresh_key()), "an unfinished run recorded a refresh"

    # What an uninterrupted run stores for FIRST: the same command again (its earnings come from
    # the same calendar of the three), same clock, data and database.
    redis_client.flushdb()
    cache.local_entries.clear()
    uninterrupted = _refresh(command_env)
    out, err = uninterrupted.communicate(timeout=120)
    assert uninterrupted.returncode == 0, out + err

    again = _stored(redis_client)
    assert {key: entry for key, entry in written.items() if key.endswith(f":{FIRST}")} == {
        key: entry for key, entry in again.items() if key.endswith(f":{FIRST}")
    }


@pytest.mark.slow
def test_locks_left_by_a_killed_refresh_expire_by_themselves(killed_run, redis_client: redis.Redis) -> None:
    locks = list(redis_client.scan_iter("finance:lock:*"))

    assert locks, "the killed run held the in-flight symbol's locks"
    assert all(0 < redis_client.ttl(lock) <= cache.LOCK_TTL for lock in locks)


@pytest.mark.slow
def test_rerun_after_a_killed_refresh_completes_every_symbol(
    killed_run, command_env, redis_client: redis.Redis
) -> None:
    # The killed run's locks expire within LOCK_TTL (see above); expire them now rather than wait.
    for lock in redis_client.scan_iter("finance:lock:*"):
        redis_client.delete(lock)

    rerun = _refresh(command_env)
    out, err = rerun.communicate(timeout=120)

    assert rerun.returncode == 0, out + err
    stored = _stored(redis_client)
    assert all(_complete(entry) for entry in stored.values())
    datasets = _by_symbol(stored)
    assert set(datasets) == set(TICKERS)
    assert {cache.STOCK, cache.OPTIONS, cache.EARNINGS} <= datasets[FIRST]
    assert datasets[SECOND] == datasets[THIRD] == datasets[FIRST]
    assert redis_client.exists(cache.last_refresh_key())
