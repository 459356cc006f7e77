"""Two worker "hosts" share one Massive quota and one pause, as the provider sees it.

Two `celery -A mojo worker` processes with node names of their own (q1, q2) share nothing but
Redis, as workers on two hosts do. A quota of LIMIT Massive requests per WINDOW seconds makes
a cycle of SYMBOLS last several windows. The provider's view is the sandbox's request log;
which host ran which task, and when, are the workers' own task events; the shared pause is its
key in Redis. All three are stamped with this host's wall clock (`time.time()`, Redis's TIME),
so they compare. Only Massive's requests count against its quota: FMP's (`/stable/`, `/api/`)
are left out.
"""

from __future__ import annotations

import abc
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from celery import Celery

from core.broker import broker_url_beside
from devtools.localredis import LocalRedis
from devtools.sandbox.server import SandboxServer
from devtools.sandbox.state import LoggedRequest
from devtools.sandbox.wire import is_fmp
from tests.workers.processes import (
    database_of,
    last_cycle,
    manage,
    migrated_database,
    node_name,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

# Enough symbols that the chain stage keeps both hosts busy for many windows.
SYMBOLS = ("AAPL", "MSFT", "KO", "SPY", "QQQ", "NVDA", "JPM", "XOM", "WMT", "DIS", "PEP", "CSCO")
HOSTS = ("q1", "q2")
CONCURRENCY = 2  # prefork processes per host, each running one task on one thread
LIMIT = 6
WINDOW = 2.0
LATENCY = 0.02
RETRY_AFTER = 5  # over a window: a host that ignored the pause would send a quota's worth in it
CHAIN_TASK = "marketdata.refresh_chain"
PAUSE_KEY = "mojo:throttle:massive:paused_until"


@dataclass(frozen=True, slots=True)
class Run:
    """One task as a worker ran it: which, on which node, from when to when (wall clock)."""

    name: str
    node: str
    started: float
    ended: float


class Watcher(abc.ABC):
    """A daemon thread of the test's own, polling something the workers change."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.watch, name=type(self).__name__, daemon=True)

    @abc.abstractmethod
    def watch(self) -> None:
        """Poll until stopped (the subclass's loop)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class TaskEvents(Watcher):
    """The workers' task events (CELERY_WORKER_SEND_TASK_EVENTS), captured from the broker."""

    def __init__(self, broker_url: str) -> None:
        super().__init__()
        self.app = Celery("shared-quota-test", broker=broker_url)
        self.events: list[dict[str, Any]] = []
        self._receiver: Any = None

    def watch(self) -> None:
        with self.app.connection_for_read() as connection:
            self._receiver = self.app.events.Receiver(connection, handlers={"*": self.events.append})
            self._receiver.capture(limit=None, timeout=None, wakeup=True)  # wakeup: workers beat at once

    def heard(self) -> set[str]:
        """The nodes whose heartbeat came through (their task events will too)."""
        return {event["hostname"] for event in list(self.events) if event["type"] == "worker-heartbeat"}

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True  # seen within its one-second drain
        super().stop()
        self.app.close()

    def runs(self) -> list[Run]:
        """Every task that started and ended, with its node and wall-clock times."""
        names: dict[str, str] = {}
        started: dict[str, tuple[str, float]] = {}
        ended: dict[str, float] = {}
        for event in list(self.events):
            kind, task = event["type"], event.get("uuid", "")
            if kind == "task-received":
                names[task] = event["name"]
            elif kind == "task-started":
                started[task] = (event["hostname"], event["timestamp"])
            elif kind in ("task-succeeded", "task-failed"):
                ended[task] = event["timestamp"]
        return [
            Run(names.get(task, "?"), node, at, ended[task])
            for task, (node, at) in started.items()
            if task in ended
        ]


class PauseWatch(Watcher):
    """Every end the shared Massive pause took (Redis µs), polled often enough to see each one."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self.client = redis_lib.Redis.from_url(redis_url)
        self.ends: set[int] = set()

    def watch(self) -> None:
        while not self._stop.wait(0.05):  # a pause lasts RETRY_AFTER seconds
            if (value := self.client.get(PAUSE_KEY)) is not None:
                self.ends.add(int(value))

    def stop(self) -> None:
        super().stop()
        self.client.close()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, redis_server: LocalRedis) -> Path:
    """This module's watchlist: SYMBOLS."""
    return migrated_database(tmp_path_factory.mktemp("quota") / "template.sqlite3", SYMBOLS)


@pytest.fixture
def hosts(env: dict[str, str], sandbox: SandboxServer) -> Iterator[dict[str, str]]:
    """Two worker hosts under a quota of LIMIT per WINDOW s; their environment."""
    env = {
        **env,
        "MASSIVE_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "MASSIVE_RATE_LIMIT_WINDOW": str(WINDOW),
        "CELERY_WORKER_SEND_TASK_EVENTS": "true",  # who ran what, and when
    }
    sandbox.control.latency(LATENCY)
    started = []
    try:
        for name in HOSTS:
            started.append(start_worker(env, name, concurrency=CONCURRENCY))
        yield env
    finally:
        for process in started:
            stop(process)


@pytest.fixture
def task_events(hosts: dict[str, str]) -> Iterator[TaskEvents]:
    """The hosts' task events from before the cycle is asked for."""
    events = TaskEvents(broker_url_beside(hosts["REDIS_URL"]))
    events.start()
    try:
        nodes = {node_name(name) for name in HOSTS}
        wait_for(lambda: nodes <= events.heard(), "both hosts' heartbeats among the events")
        yield events
    finally:
        events.stop()


def massive_arrivals(log: Sequence[LoggedRequest]) -> list[float]:
    """When each Massive request reached the provider, in order."""
    return sorted(request.arrived for request in log if not is_fmp(request.path))


def busiest_window(arrivals: Sequence[float], seconds: float) -> int:
    """The most arrivals in any window [t, t + seconds); the busiest one starts at an arrival."""
    return max((bisect_left(arrivals, at + seconds) - i for i, at in enumerate(arrivals)), default=0)


def refresh(env: dict[str, str]) -> dict[str, Any]:
    """A cycle sent to the workers and waited for; its record."""
    done = manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")
    assert done.returncode == 0, done.stdout + done.stderr
    cycle = last_cycle(database_of(env))
    assert (cycle["status"], cycle["symbols_ok"], cycle["symbols_failed"]) == ("succeeded", len(SYMBOLS), 0)
    return cycle


def chain_runs_by_node(events: TaskEvents) -> dict[str, list[Run]]:
    """Each host's chain tasks."""
    runs = [run for run in events.runs() if run.name == CHAIN_TASK]
    return {node_name(name): [run for run in runs if run.node == node_name(name)] for name in HOSTS}


def test_two_hosts_never_exceed_the_shared_quota_in_any_window(hosts, task_events, sandbox) -> None:
    refresh(hosts)

    arrivals = massive_arrivals(sandbox.control.requests())
    assert len(arrivals) >= 5 * LIMIT  # the quota binds: the cycle spans several windows
    assert busiest_window(arrivals, WINDOW) == LIMIT  # reached, never exceeded
    first, second = chain_runs_by_node(task_events).values()
    assert first and second  # both hosts made Massive calls under the quota...
    assert any(max(a.started, b.started) < min(a.ended, b.ended) for a in first for b in second)  # at once


def test_a_429_with_retry_after_pauses_both_hosts_until_then(hosts, task_events, sandbox) -> None:
    # The 13th chain page of 45 is refused: most chains are still to do, on both hosts.
    sandbox.control.fault(
        path="/v3/snapshot/options/", kind="status", status=429, retry_after=RETRY_AFTER, after=12
    )
    pause = PauseWatch(hosts["REDIS_URL"])
    pause.start()
    try:
        refresh(hosts)  # the refused page was asked again after the pause: every symbol is fresh
    finally:
        pause.stop()

    log = sandbox.control.requests()
    (refused,) = [request for request in log if request.status == 429]
    assert len(pause.ends) == 1, f"pauses seen: {sorted(pause.ends)}"  # set by the refused host
    end_us = pause.ends.pop()
    start, end = end_us / 1e6 - RETRY_AFTER, end_us / 1e6
    assert refused.answered <= start  # set once the 429 was back at the host
    busy = {
        node: [r for r in runs if r.started < start < r.ended]
        for node, runs in chain_runs_by_node(task_events).items()
    }
    assert all(busy.values()), busy  # both hosts were in the middle of a chain when the pause began
    # Sent during the pause: only requests that had got past the pause before it began, at
    # most one per other process (each runs one request at a time and checks the pause
    # before its next one); the refused host's own retry waited for the end.
    during = [r for r in log if not is_fmp(r.path) and start < r.arrived < end]
    assert len(during) <= len(HOSTS) * CONCURRENCY - 1, during
    (retried, *_) = [r for r in log if r.path == refused.path and r.arrived > refused.arrived]
    assert retried.arrived >= end
