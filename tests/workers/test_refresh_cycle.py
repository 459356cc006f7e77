"""The refresh on real Celery workers: a Redis broker, worker processes, a file SQLite in WAL mode.

Everything runs in processes of its own, as in production: `celery -A mojo worker` and
`manage.py refresh_market_data --enqueue --wait`, against the suite's Redis (the broker in
the database beside the cache's) and sandbox, with mojo's clock pinned in every process.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from django.conf import settings

from core.broker import broker_url_beside
from devtools.localredis import LocalRedis
from marketdata import cache, clock

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("AAPL", "MSFT", "KO", "SPY")
WORKER_START_SECONDS = 60.0
COMMAND_TIMEOUT = 180

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _env(redis_server: LocalRedis, database: Path, sandbox, now) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"sqlite:///{database}",
        "MASSIVE_BASE_URL": sandbox.base_url,
        "FMP_BASE_URL": sandbox.base_url,
        "MOJO_FROZEN_NOW": now.isoformat(),
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, redis_server: LocalRedis) -> Path:
    """A migrated SQLite file with a watchlist, made once; each test runs on its own copy."""
    database = tmp_path_factory.mktemp("cycle") / "template.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    watch = (
        "from django.contrib.auth.models import User\n"
        "from watchlist.models import Ticker, WatchlistItem\n"
        "owner = User.objects.create(username='w')\n"
        f"for s in {WATCHED!r}:\n"
        "    WatchlistItem.objects.create(owner=owner, ticker=Ticker.objects.create(symbol=s))"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", watch], cwd=ROOT, env=env, check=True)
    return database


@pytest.fixture
def env(
    tmp_path: Path, migrated: Path, redis_server: LocalRedis, redis, sandbox, pinned_clock
) -> dict[str, str]:
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated, database)
    redis_lib.Redis.from_url(broker_url_beside(redis_server.url)).flushdb()  # no queue left from before
    return _env(redis_server, database, sandbox, pinned_clock)


@pytest.fixture
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """One worker "host": prefork with 2 processes, its own node name, remote control on."""
    process = _start_worker(env, "w1")
    yield process
    _stop(process)


def _celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "mojo", *args]


def _start_worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    """Start a worker and wait until it answers a remote-control ping."""
    node = f"{name}@{os.uname().nodename}"
    process = subprocess.Popen(
        _celery("worker", "-P", "prefork", "-c", "2", "-n", node, "-l", "WARNING"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(int(WORKER_START_SECONDS / 5)):
        pinged = subprocess.run(
            _celery("inspect", "ping", "-d", node, "-t", "5"),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=WORKER_START_SECONDS,
            check=False,
        )
        if pinged.returncode == 0:
            return process
        assert process.poll() is None, "the worker exited"
    raise AssertionError(f"the worker never answered a ping: {pinged.stdout}{pinged.stderr}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _cycle(database: Path) -> dict[str, object]:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM marketdata_refreshcycle ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


def test_enqueue_wait_refreshes_every_watched_symbol_once_on_the_workers(
    env, worker, sandbox, tmp_path, migrated, redis_server
) -> None:
    done = _manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")
    on_workers = sandbox.control.counters()["by_path"]

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("cycle ")
    for symbol in WATCHED:
        assert len([p for p in on_workers if p.startswith(f"/v2/aggs/ticker/{symbol}/")]) == 1  # its history
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    cycle = _cycle(database)
    assert (cycle["status"], cycle["mode"], cycle["symbols_ok"], cycle["symbols_failed"]) == (
        "succeeded",
        "workers",
        len(WATCHED),
        0,
    )
    assert f"cycle {cycle['id']} succeeded" in done.stdout
    with sqlite3.connect(database) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
        (snapshots,) = db.execute("SELECT COUNT(*) FROM marketdata_ivsnapshot").fetchone()
    assert mode == "wal"
    assert snapshots == len(WATCHED)  # each chain part recorded today's ATM IV

    # The same cycle inline, from scratch: exactly the same requests, each as often.
    fresh = tmp_path / "inline.sqlite3"
    shutil.copyfile(migrated, fresh)
    redis_lib.Redis.from_url(redis_server.url).flushdb()
    sandbox.control.reset()
    inline = _manage({**env, "DATABASE_URL": f"sqlite:///{fresh}"}, "refresh_market_data")
    assert inline.returncode == 0, inline.stdout + inline.stderr
    assert sandbox.control.counters()["by_path"] == on_workers


def test_a_cycle_asked_while_one_is_queued_is_skipped(env, sandbox) -> None:
    first = _manage(env, "refresh_market_data", "--enqueue")  # no worker: it stays queued
    second = _manage(env, "refresh_market_data", "--enqueue")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "skipped: another cycle is queued or running" in second.stdout
    assert sandbox.control.counters()["total"] == 0
    broker = redis_lib.Redis.from_url(broker_url_beside(env["REDIS_URL"]))
    assert broker.llen("celery") == 1  # only the first was sent


@pytest.mark.django_db
def test_a_running_worker_beats_into_healthz_and_a_stopped_one_leaves_it(env, client) -> None:
    assert client.get("/healthz").json()["details"]["refresh"] == {"last_cycle": None, "workers": []}
    process = _start_worker(env, "w2")
    try:
        workers = client.get("/healthz").json()["details"]["refresh"]["workers"]
        assert workers == [f"w2@{os.uname().nodename}"]
    finally:
        _stop(process)  # a warm shutdown clears its heartbeat
    assert client.get("/healthz").json()["details"]["refresh"]["workers"] == []


def test_a_cycle_survives_its_workers_main_process_killed_mid_cycle(env, sandbox) -> None:
    env = {**env, "CELERY_VISIBILITY_TIMEOUT": "20"}  # unacknowledged tasks come back after 20 s
    sandbox.control.latency(0.3)  # long enough a cycle to be killed in the middle of it
    first = _start_worker(env, "w1")
    asked = _manage(env, "refresh_market_data", "--enqueue")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    _wait_for(lambda: _chain_calls(sandbox) >= 1, "the cycle's chain parts to start")
    first.kill()  # SIGKILL: no warm shutdown, no acknowledgement of what it held
    first.wait(timeout=30)
    killed_at = time.monotonic()
    assert _cycle(database)["status"] in ("queued", "running")

    second = _start_worker(env, "w2")
    try:
        _wait_for(lambda: _cycle(database)["status"] not in ("queued", "running"), "the cycle to finish", 120)
    finally:
        _stop(second)
    assert time.monotonic() - killed_at < 120
    cycle = _cycle(database)
    assert (cycle["status"], cycle["symbols_ok"], cycle["symbols_failed"]) == ("succeeded", len(WATCHED), 0)
    # Every symbol's entries are there and fresh, and none is corrupted (each decodes).
    for symbol in WATCHED:
        for key_of in (cache.stock_cache_key, cache.options_cache_key, cache.earnings_cache_key):
            key = key_of(symbol)
            entry = cache.read(key)
            assert entry is not None and not entry.missing and entry.is_fresh(clock.now()), key


def _chain_calls(sandbox) -> int:
    by_path = sandbox.control.counters()["by_path"]
    return sum(n for path, n in by_path.items() if path.startswith("/v3/snapshot/options/"))


def _wait_for(condition, what: str, seconds: float = 60.0) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_with_the_provider_down_each_request_is_attempted_as_the_retry_policy_says_no_more(
    env, worker, sandbox
) -> None:
    sandbox.control.down()

    done = _manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")

    assert done.returncode == 1, done.stdout + done.stderr  # the cycle failed, and says so
    cycle = _cycle(Path(env["DATABASE_URL"].removeprefix("sqlite:///")))
    assert (cycle["status"], cycle["symbols_failed"]) == ("failed", len(WATCHED))
    attempts = sandbox.control.counters()["by_path"]
    assert attempts and set(attempts.values()) == {settings.PROVIDER_RETRY_ATTEMPTS}, attempts  # no more
