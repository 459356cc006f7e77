"""The refresh on real Celery workers: a Redis broker, worker processes, a file SQLite in WAL mode.

Everything runs in processes of its own, as in production: `celery -A mojo worker` and
`manage.py refresh_market_data --enqueue --wait`, against the suite's Redis (the broker in
the database beside the cache's) and sandbox, with mojo's clock pinned in every process.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time

import pytest
import redis as redis_lib
from django.conf import settings

from core.broker import broker_url_beside
from marketdata import cache, clock
from tests.workers.processes import (
    WATCHED,
    database_of,
    last_cycle,
    manage,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_enqueue_wait_refreshes_every_watched_symbol_once_on_the_workers(
    env, worker, sandbox, tmp_path, migrated, redis_server
) -> None:
    done = manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")
    on_workers = sandbox.control.counters()["by_path"]

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("cycle ")
    for symbol in WATCHED:
        assert len([p for p in on_workers if p.startswith(f"/v2/aggs/ticker/{symbol}/")]) == 1  # its history
    database = database_of(env)
    cycle = last_cycle(database)
    assert (cycle["status"], cycle["mode"], cycle["symbols_ok"], cycle["symbols_failed"]) == (
        "succeeded",
        "workers",
        len(WATCHED),
        0,
    )
    assert f"cycle {cycle['id']} succeeded" in done.stdout
    assert sum(json.loads(cycle["signal_counts"]).values()) > 0  # the finish counted the chains' signals
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
    inline = manage({**env, "DATABASE_URL": f"sqlite:///{fresh}"}, "refresh_market_data")
    assert inline.returncode == 0, inline.stdout + inline.stderr
    assert sandbox.control.counters()["by_path"] == on_workers


def test_a_cycle_asked_while_one_is_queued_is_skipped(env, sandbox) -> None:
    first = manage(env, "refresh_market_data", "--enqueue")  # no worker: it stays queued
    second = manage(env, "refresh_market_data", "--enqueue")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "skipped: another cycle is queued or running" in second.stdout
    assert sandbox.control.counters()["total"] == 0
    broker = redis_lib.Redis.from_url(broker_url_beside(env["REDIS_URL"]))
    assert broker.llen("celery") == 1  # only the first was sent


@pytest.mark.django_db
def test_a_running_worker_beats_into_healthz_and_a_stopped_one_leaves_it(env, client) -> None:
    assert client.get("/healthz").json()["details"]["refresh"] == {"last_cycle": None, "workers": []}
    process = start_worker(env, "w2")
    try:
        workers = client.get("/healthz").json()["details"]["refresh"]["workers"]
        assert workers == [f"w2@{os.uname().nodename}"]
    finally:
        stop(process)  # a warm shutdown clears its heartbeat
    assert client.get("/healthz").json()["details"]["refresh"]["workers"] == []


def test_a_cycle_survives_its_workers_main_process_killed_midlast_cycle(env, sandbox) -> None:
    env = {**env, "CELERY_VISIBILITY_TIMEOUT": "20"}  # unacknowledged tasks come back after 20 s
    sandbox.control.latency(0.3)  # long enough a cycle to be killed in the middle of it
    first = start_worker(env, "w1")
    asked = manage(env, "refresh_market_data", "--enqueue")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    database = database_of(env)
    wait_for(lambda: _chain_calls(sandbox) >= 1, "the cycle's chain parts to start")
    first.kill()  # SIGKILL: no warm shutdown, no acknowledgement of what it held
    first.wait(timeout=30)
    killed_at = time.monotonic()
    assert last_cycle(database)["status"] in ("queued", "running")

    second = start_worker(env, "w2")
    try:
        finished = lambda: last_cycle(database)["status"] not in ("queued", "running")  # noqa: E731
        wait_for(finished, "the cycle to finish", 120)
    finally:
        stop(second)
    assert time.monotonic() - killed_at < 120
    cycle = last_cycle(database)
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


def test_with_the_provider_down_each_request_is_attempted_as_the_retry_policy_says_no_more(
    env, worker, sandbox
) -> None:
    sandbox.control.down()

    done = manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")

    assert done.returncode == 1, done.stdout + done.stderr  # the cycle failed, and says so
    cycle = last_cycle(database_of(env))
    assert (cycle["status"], cycle["symbols_failed"]) == ("failed", len(WATCHED))
    attempts = sandbox.control.counters()["by_path"]
    assert attempts and set(attempts.values()) == {settings.PROVIDER_RETRY_ATTEMPTS}, attempts  # no more
