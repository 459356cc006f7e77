"""The tests' redis-server: a restart is a new process on the same port, persisting only when asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from devtools.localredis import LocalRedis

pytestmark = pytest.mark.slow


@pytest.fixture
def persistent(tmp_path: Path) -> Iterator[LocalRedis]:
    server = LocalRedis(appendonly=True, directory=tmp_path).start()
    yield server
    server.stop()


def test_a_persistent_server_keeps_its_data_across_a_restart_of_its_process(persistent: LocalRedis) -> None:
    redis_lib.Redis.from_url(persistent.url).rpush("celery", "a task")
    before = persistent.process.pid if persistent.process else None

    persistent.restart()

    assert persistent.process is not None and persistent.process.pid != before
    assert redis_lib.Redis.from_url(persistent.url).lrange("celery", 0, -1) == [b"a task"]
    assert redis_lib.Redis.from_url(persistent.url).config_get("appendonly") == {"appendonly": "yes"}


def test_by_default_a_restarted_server_comes_back_empty() -> None:
    server = LocalRedis().start()
    try:
        redis_lib.Redis.from_url(server.url).set("key", "value")
        server.restart()
        assert redis_lib.Redis.from_url(server.url).dbsize() == 0
    finally:
        server.stop()
