"""The refresh on Celery workers: a real Redis (the broker beside the cache) and the sandbox."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from core.broker import broker_url_beside
from devtools.localredis import LocalRedis
from tests.workers.processes import migrated_database, start_worker, stop, worker_env


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object) -> None:
    """Every test in this folder starts with an empty Redis and a reset sandbox."""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, redis_server: LocalRedis) -> Path:
    """A migrated SQLite file with a watchlist, made once; each test runs on its own copy."""
    return migrated_database(tmp_path_factory.mktemp("cycle") / "template.sqlite3")


@pytest.fixture
def env(  # a test's own copy of the migrated file, an empty broker
    tmp_path: Path, migrated: Path, redis_server: LocalRedis, redis, sandbox, pinned_clock
) -> dict[str, str]:
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated, database)
    redis_lib.Redis.from_url(broker_url_beside(redis_server.url)).flushdb()  # no queue left from before
    return worker_env(redis_server.url, database, sandbox.base_url, pinned_clock)


@pytest.fixture
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """One worker "host": prefork with 2 processes, its own node name, remote control on."""
    process = start_worker(env, "w1")
    yield process
    stop(process)
