"""Shared set-up for the bench scripts: a private Redis, the in-process sandbox, a pinned clock.

`bench_env()` must run before anything touches Django's cache: it starts a throwaway
redis-server and the sandbox provider, points settings at them and at a temporary
file-backed SQLite database (threads share it), calls `django.setup()`, migrates and pins
mojo's clock to Tuesday 2026-11-24 16:30 New York (after the close, as the tests do).

The rest are measuring helpers: interleaved timing with medians, a Redis round-trip counter
(every packet redis-py sends is one round trip; a pipeline or MGET is one) and the result
file every script writes (`bench/results/<name>.json`, with a `summary` run_all.py reads).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NEW_YORK = ZoneInfo("America/New_York")
SANDBOX_TODAY = date(2026, 11, 24)
PINNED_NOW = datetime(2026, 11, 24, 16, 30, tzinfo=NEW_YORK)
SHUFFLE_SEED = 14


@dataclass
class BenchEnv:
    """The processes and files one bench run owns; `close()` releases them."""

    redis: Any
    sandbox: Any
    directory: str
    closed: bool = field(default=False)

    def close(self) -> None:
        """Stop the sandbox and Redis and remove the temporary database."""
        if self.closed:
            return
        self.closed = True
        self.sandbox.stop()
        self.redis.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> BenchEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SandboxProcess:
    """The sandbox in a process of its own (`manage.py marketdata_sandbox`), so CPU figures of
    the benchmark process are mojo's alone; same `base_url` / `control` / `stop()` as the
    in-process server, plus `cpu_seconds()`. `universe`: generated symbols served besides the 57."""

    def __init__(self, *, today: date = SANDBOX_TODAY, universe: int = 0) -> None:
        from devtools.localredis import free_port
        from devtools.sandbox.control import SandboxControl

        port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "marketdata_sandbox",
                *("--port", str(port), "--today", today.isoformat(), "--universe", str(universe)),
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "mojo.settings.test"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the sandbox did not start (said {self.base_url!r})")
        self.control = SandboxControl(self.base_url)

    def cpu_seconds(self) -> float:
        """User + system CPU the sandbox process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the sandbox process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bench_env(*, settings_overrides: dict[str, Any] | None = None, sandbox_process: bool = False) -> BenchEnv:
    """Start Redis and the sandbox, configure and set up Django, migrate, pin the clock.

    `sandbox_process`: run the sandbox in its own process instead of a thread of this one.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mojo.settings.test")
    from devtools.localredis import LocalRedis

    redis_server = LocalRedis().start()
    os.environ["REDIS_URL"] = redis_server.url  # before the settings module reads it
    from devtools.sandbox.server import SandboxServer

    try:
        sandbox: Any = SandboxProcess() if sandbox_process else SandboxServer(today=SANDBOX_TODAY).start()
    except BaseException:
        redis_server.stop()
        raise
    directory = tempfile.mkdtemp(prefix="mojo-bench-")
    env = BenchEnv(redis=redis_server, sandbox=sandbox, directory=directory)
    try:
        _configure(redis_server.url, sandbox.base_url, directory, settings_overrides)
    except BaseException:
        env.close()
        raise
    return env


def _configure(
    redis_url: str, sandbox_url: str, directory: str, settings_overrides: dict[str, Any] | None
) -> None:
    import django
    from django.conf import settings

    assert redis_url == settings.REDIS_URL  # read from the environment bench_env set
    settings.MASSIVE_BASE_URL = settings.FMP_BASE_URL = sandbox_url
    settings.DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(directory) / "bench.sqlite3"),
            # Refresh threads write IV snapshots concurrently: WAL, a generous busy wait and
            # IMMEDIATE transactions (a deferred one cannot wait for the write lock it upgrades to).
            "OPTIONS": {
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    settings.LOGGING_CONFIG = None  # benchmarks print their own figures; keep warnings quiet
    # Measure what production runs: the in-process layer the test settings switch off.
    settings.MARKETDATA_LOCAL_CACHE_SECONDS = 2.0
    for name, value in (settings_overrides or {}).items():
        setattr(settings, name, value)
    django.setup()
    logging.basicConfig(level=logging.ERROR)

    from django.core.management import call_command

    from marketdata import clock

    call_command("migrate", verbosity=0, interactive=False)
    clock.pin(PINNED_NOW)


def make_user(username: str, *, staff: bool = False) -> Any:
    """Create a user (with an API token) for authenticated requests."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user(username=username, password="bench-password")
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    Token.objects.get_or_create(user=user)
    return user


# --- Measuring ------------------------------------------------------------------------------------
def interleaved(
    variants: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 20, shuffle: bool = False
) -> dict[str, list[float]]:
    """Time each variant once per round, alternating their order; seconds per call.

    The order rotates each round, so each variant always follows the same neighbour;
    `shuffle` draws a new order each round instead (seeded: the same in every run), for
    variants whose cost depends on what ran just before them.
    """
    for _ in range(warmup):
        for run in variants.values():
            run()
    names = list(variants)
    timings: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(SHUFFLE_SEED)
    for round_no in range(rounds):
        shift = round_no % len(names)
        order = rng.sample(names, len(names)) if shuffle else names[shift:] + names[:shift]
        for name in order:
            run = variants[name]
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    return timings


def median_us(samples: list[float]) -> float:
    """The median of samples in seconds, in microseconds."""
    return round(statistics.median(samples) * 1e6, 1)


class RoundTrips:
    """Counts packets redis-py sends (each one a round trip) while `counting()` is active.

    `packets` keeps, per packet, its commands as (name, keys-and-arguments) pairs, arguments
    cut to 80 characters, so a script can tell which round trip read which keys.
    """

    def __init__(self) -> None:
        self.packets: list[list[tuple[str, list[str]]]] = []
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """Round trips so far."""
        return len(self.packets)

    @property
    def commands(self) -> list[str]:
        """Each packet's command names, "+"-joined for a pipeline (e.g. "MGET")."""
        return ["+".join(name for name, _ in packet) or "?" for packet in self.packets]

    def touching(self, prefix: str) -> list[list[tuple[str, list[str]]]]:
        """The packets with at least one argument starting with `prefix`."""
        return [
            packet for packet in self.packets if any(a.startswith(prefix) for _, args in packet for a in args)
        ]

    @contextmanager
    def counting(self) -> Iterator[RoundTrips]:
        """Patch redis-py's Connection.send_packed_command for the block."""
        from redis.connection import Connection

        original = Connection.send_packed_command
        counter = self

        def send_packed_command(conn: Any, command: Any, check_health: bool = True) -> None:
            packet = parse_packet(command)
            with counter._lock:
                counter.packets.append(packet)
            return original(conn, command, check_health)

        Connection.send_packed_command = send_packed_command  # type: ignore[method-assign]
        try:
            yield self
        finally:
            Connection.send_packed_command = original  # type: ignore[method-assign]

    def reset(self) -> None:
        """Forget what was counted."""
        with self._lock:
            self.packets = []


def parse_packet(packed: Any) -> list[tuple[str, list[str]]]:
    """The commands of a packed RESP payload: [(name, arguments)], several for a pipeline."""
    chunks = packed if isinstance(packed, list | tuple) else [packed]
    raw = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
    commands: list[tuple[str, list[str]]] = []
    i = 0
    try:
        while raw.startswith(b"*", i):
            end = raw.index(b"\r\n", i)
            count, i = int(raw[i + 1 : end]), end + 2
            words: list[str] = []
            for _ in range(count):
                end = raw.index(b"\r\n", i)
                length, i = int(raw[i + 1 : end]), end + 2
                words.append(raw[i : i + min(length, 80)].decode(errors="replace"))
                i += length + 2
            commands.append((words[0].upper(), words[1:]))
    except (ValueError, IndexError):
        commands.append(("?", []))
    return commands


# --- Results -----------------------------------------------------------------------------------------
def check(measured: float | None, target: float, *, at_most: bool) -> bool:
    """Whether a figure meets its target (`at_most`: lower is better)."""
    if measured is None:
        return False
    return measured <= target if at_most else measured >= target


def summary_row(
    metric: str, measured: float | None, target: float, *, at_most: bool, unit: str = "x"
) -> dict[str, Any]:
    """One line of the results table: what was measured against which target."""
    op = "<=" if at_most else ">="
    return {
        "metric": metric,
        "measured": measured,
        "unit": unit,
        "target": f"{op} {target:g}{unit}",
        "met": check(measured, target, at_most=at_most),
    }


def print_summary(rows: list[dict[str, Any]]) -> None:
    """Print each figure next to its target."""
    for row in rows:
        measured = "n/a" if row["measured"] is None else f"{row['measured']:g}{row['unit']}"
        print(f"  {row['metric']:<55} {measured:>12}  target {row['target']:<10} {_met(row['met'])}")


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


def write_results(name: str, figures: dict[str, Any], summary: list[dict[str, Any]]) -> Path:
    """Write bench/results/<name>.json: the figures and the summary rows."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "name": name,
        "figures": figures,
        "summary": summary,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path
