"""`make demo` stopped by a signal stops what it started: its redis-server, worker and beat included."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from devtools.localredis import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
READY_SECONDS = 90  # migrate, demo data and a refresh of five symbols: a liveness bound


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_worker_heartbeat(port: int) -> None:
    client = redis.Redis(port=port)
    give_up = time.monotonic() + READY_SECONDS
    while not client.keys("finance:workers:*"):
        assert time.monotonic() < give_up, "the demo's worker never beat"
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in listed.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("signum", "prefix"),
    [
        (signal.SIGTERM, ""),
        (signal.SIGINT, ""),
        (signal.SIGINT, "trap '' INT; "),  # started with SIGINT ignored, as a background job is
    ],
)
def test_a_stopped_demo_leaves_no_redis_server_behind(tmp_path: Path, signum: int, prefix: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE="mojo.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    command = f"{prefix}exec {sys.executable} manage.py demo --port {free_port()}"
    demo = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert demo.stdout is not None
        output, deadline = "", time.monotonic() + READY_SECONDS
        while "mojo demo is ready" not in output and time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:  # the demo ended before it was ready
                break
            output += line
        found = re.search(r"redis-server at redis://127\.0\.0\.1:(\d+)", output)
        assert found is not None and "mojo demo is ready" in output, output
        redis_port = int(found.group(1))
        assert _answers(redis_port), output
        assert "Workers: a Celery worker and beat" in output, output
        _wait_for_worker_heartbeat(redis_port)
        children = _children(demo.pid)
        assert len(children) >= 3, children  # redis-server, the worker, beat

        demo.send_signal(signum)
        demo.wait(timeout=60)

        assert not _answers(redis_port), output
        assert [pid for pid in children if _alive(pid)] == []  # worker and beat stopped too
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
