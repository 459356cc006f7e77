"""The processes `bench/scale.py` starts and what it reads of them (Linux: /proc, wait4).

Workers and commands run as production runs them, each a process of its own: `celery -A mojo
worker -P prefork -c K` and `manage.py refresh_market_data`, with the environment of
`process_env` (the bench's Redis, database file and sandbox; mojo's clock pinned). CPU is read
per process tree: a worker's main process and its prefork children (with the children they
have reaped), and a command's whole life (`wait4`), so the sandbox's CPU is never counted as
mojo's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WORKER_START_SECONDS = 90.0


def process_env(*, redis_url: str, database: Path, sandbox_url: str, now: str) -> dict[str, str]:
    """The environment of every process the bench starts: its Redis, database and sandbox; `now` pinned."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": redis_url,  # the broker follows, in the next database
        "DATABASE_URL": f"sqlite:///{database}",
        "MASSIVE_BASE_URL": sandbox_url,
        "FMP_BASE_URL": sandbox_url,
        "MOJO_FROZEN_NOW": now,
        "MARKETDATA_LOCAL_CACHE_SECONDS": "2.0",  # production's in-process layer (tests turn it off)
        "CELERY_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def with_database(env: dict[str, str], database: Path) -> dict[str, str]:
    """`env` pointed at another SQLite file."""
    return {**env, "DATABASE_URL": f"sqlite:///{database}"}


def manage(env: dict[str, str], *args: str) -> None:
    """Run `manage.py` with `args` to the end; raise if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


_WATCH = """
import json
from django.contrib.auth.models import User
from watchlist.models import Ticker, WatchlistItem
symbols = json.load(open({path!r}))
owner = User.objects.create(username="scale")
tickers = Ticker.objects.bulk_create(Ticker(symbol=s) for s in symbols)
WatchlistItem.objects.bulk_create(WatchlistItem(owner=owner, ticker=t) for t in tickers)
"""


def watchlist_database(template: Path, database: Path, symbols: list[str], env: dict[str, str]) -> Path:
    """A copy of the migrated `template` with one user watching `symbols`."""
    import json

    shutil.copyfile(template, database)
    listing = database.with_suffix(".symbols.json")
    listing.write_text(json.dumps(symbols))
    manage(with_database(env, database), "shell", "-c", _WATCH.format(path=str(listing)))
    return database


def database_bytes(database: Path) -> dict[str, int]:
    """The SQLite file's size and its write-ahead log's."""
    wal = database.with_name(database.name + "-wal")
    return {"db": database.stat().st_size, "wal": wal.stat().st_size if wal.exists() else 0}


# --- CPU -----------------------------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, …), or None once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def descendants(root: int) -> list[int]:
    """Every live process below `root` (children, grandchildren, …)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of `root` and every process below it, those they reaped included."""
    ticks = 0
    for pid in (root, *descendants(root)):
        if (fields := _stat(pid)) is not None:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """The process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- Workers and commands ------------------------------------------------------------------------
def celery(*args: str) -> list[str]:
    """The command line of `celery -A mojo` with `args`."""
    return [sys.executable, "-m", "celery", "-A", "mojo", *args]


class Worker:
    """One worker "host": `celery -A mojo worker -P prefork -c <processes>`, started and pinged."""

    def __init__(self, env: dict[str, str], *, processes: int, log: Path) -> None:
        self.node = f"scale{processes}-{os.getpid()}@{os.uname().nodename}"
        self.processes = processes
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            celery("worker", "-P", "prefork", "-c", str(processes), "-n", self.node, "-l", "WARNING"),
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready(env)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, env: dict[str, str]) -> None:
        give_up = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}; see {self._log.name}")
            pinged = subprocess.run(
                celery("inspect", "ping", "-d", self.node, "-t", "5"),
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=False,
            )
            if pinged.returncode == 0 and len(descendants(self.process.pid)) >= self.processes:
                return
        raise RuntimeError(f"the worker did not answer a ping in {WORKER_START_SECONDS:.0f} s")

    def cpu_seconds(self) -> float:
        """CPU of the main process and its prefork children so far."""
        return tree_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL after 60 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass(frozen=True)
class CommandRun:
    """One `manage.py` run: its output, exit status, CPU, and when it said `cycle <id>` and ended."""

    returncode: int
    output: str
    cpu_seconds: float
    started: float
    enqueued: float | None  # perf_counter when "cycle <id>" was printed (--enqueue only)
    ended: float

    @property
    def wall_seconds(self) -> float:
        """From the cycle's enqueueing (or the command's start, inline) to the command's end."""
        return self.ended - (self.enqueued if self.enqueued is not None else self.started)


def run_manage(env: dict[str, str], args: list[str], *, timeout: float) -> CommandRun:
    """Run `manage.py args`, noting when it prints `cycle <id>`; killed after `timeout` seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    enqueued, lines = _read(process.stdout)
    ended = time.perf_counter()
    _, status, usage = os.wait4(process.pid, 0)  # the child's own CPU, all its threads
    watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return CommandRun(
        returncode=process.returncode,
        output="".join(lines),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        started=started,
        enqueued=enqueued,
        ended=ended,
    )


def _read(stream: IO[str] | None) -> tuple[float | None, list[str]]:
    assert stream is not None
    enqueued: float | None = None
    lines: list[str] = []
    for line in stream:
        if enqueued is None and line.startswith("cycle "):
            enqueued = time.perf_counter()
        lines.append(line)
    stream.close()
    return enqueued, lines


# --- Redis ------------------------------------------------------------------------------------------
def redis_figures(url: str) -> dict[str, Any]:
    """`used_memory` of the whole server (cache and broker) and the keys in each database."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        memory = client.info("memory")
        keyspace = client.info("keyspace")
    finally:
        client.close()
    return {
        "used_memory": int(memory["used_memory"]),
        "keys": {name: int(values["keys"]) for name, values in keyspace.items()},
    }


def redis_flush(url: str) -> None:
    """Empty every database: the cache's, the broker's queues and Celery's results."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushall()
    finally:
        client.close()
