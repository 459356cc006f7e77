"""Real processes for the worker tests: `celery -A mojo worker`, `manage.py` commands, a migrated file SQLite.

Shared by the tests in this folder: each process gets the environment of `worker_env` (the
suite's Redis and sandbox, mojo's clock pinned), as a worker on another host would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("AAPL", "MSFT", "KO", "SPY")
WORKER_START_SECONDS = 60.0
COMMAND_TIMEOUT = 180


def worker_env(redis_url: str, database: Path, sandbox_url: str, now: datetime) -> dict[str, str]:
    """The environment of the processes a test starts: its Redis and database, the sandbox, mojo's clock."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "MASSIVE_BASE_URL": sandbox_url,
        "FMP_BASE_URL": sandbox_url,
        "MOJO_FROZEN_NOW": now.isoformat(),
        "LOG_LEVEL": "WARNING",
    }


def database_of(env: dict[str, str]) -> Path:
    """The SQLite file of an environment made by `worker_env`."""
    return Path(env["DATABASE_URL"].removeprefix("sqlite:///"))


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py` with `args` to the end."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def migrated_database(database: Path, watched: Sequence[str] = WATCHED) -> Path:
    """Migrate a SQLite file and watch `watched` (one user's watchlist)."""
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
        f"for s in {tuple(watched)!r}:\n"
        "    WatchlistItem.objects.create(owner=owner, ticker=Ticker.objects.create(symbol=s))"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", watch], cwd=ROOT, env=env, check=True)
    return database


def celery(*args: str) -> list[str]:
    """The command line of `celery -A mojo` with `args`."""
    return [sys.executable, "-m", "celery", "-A", "mojo", *args]


def node_name(name: str) -> str:
    """A worker's full node name (`name@host`)."""
    return f"{name}@{os.uname().nodename}"


def start_worker(
    env: dict[str, str],
    name: str,
    *,
    concurrency: int = 2,
    log: Path | None = None,
    args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Start a worker "host" (prefork, its own node name) and wait until it answers a remote-control ping.

    Its output (warnings and errors) goes to `log` when given, else nowhere; `args` are more
    `celery worker` options (e.g. `-Q` queues).
    """
    node = node_name(name)
    with Path(log or os.devnull).open("ab") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            celery("worker", "-P", "prefork", "-c", str(concurrency), "-n", node, "-l", "WARNING", *args),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    for _ in range(int(WORKER_START_SECONDS / 5)):
        pinged = subprocess.run(
            celery("inspect", "ping", "-d", node, "-t", "5"),
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


def answers_ping(env: dict[str, str], name: str, *, timeout: float = 5.0) -> bool:
    """True when the worker `name` answers `celery inspect ping` within `timeout` seconds."""
    pinged = subprocess.run(
        celery("inspect", "ping", "-d", node_name(name), "-t", str(timeout)),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=timeout + WORKER_START_SECONDS,
        check=False,
    )
    return pinged.returncode == 0


def stop(process: subprocess.Popen[bytes]) -> None:
    """A warm shutdown (SIGTERM), then SIGKILL if it does not end in 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def last_cycle(database: Path) -> dict[str, Any]:
    """The latest RefreshCycle row, read straight from the file."""
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM marketdata_refreshcycle ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


def chain_calls(sandbox: Any) -> int:
    """How many option-chain requests the sandbox has served (a cycle's parts have started)."""
    by_path: dict[str, int] = sandbox.control.counters()["by_path"]
    return sum(n for path, n in by_path.items() if path.startswith("/v3/snapshot/options/"))


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll `condition` until it holds; fail the test after `seconds`."""
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.2)
