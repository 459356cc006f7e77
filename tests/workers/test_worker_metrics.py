"""Each worker's own Prometheus metrics on CELERY_METRICS_PORT: a real worker, a real broker, a real cycle.

The worker runs its tasks in prefork children and serves its metrics from its main process,
so what these tests scrape is every child's counts summed (prometheus-client's multiprocess
mode, in a directory of the worker's own). Celery's own remote control says what the worker
ran; the broker's Redis says what waits in its queues.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
import requests
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.broker import broker_url_beside
from devtools.localredis import LocalRedis, free_port
from mojo.worker_metrics import DIRECTORY_PREFIX, QueueDepthCollector
from tests.workers.processes import (
    COMMAND_TIMEOUT,
    ROOT,
    celery,
    database_of,
    last_cycle,
    manage,
    node_name,
    start_worker,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TASKS = "mojo_celery_tasks_total"


def _serving(env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], int]:
    """The workers' environment with metrics on a free port, and a temporary directory of their own."""
    port = free_port()
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    return {**env, "CELERY_METRICS_PORT": str(port), "TMPDIR": str(temporary)}, port


def _scrape(port: int) -> list[Sample]:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    response.raise_for_status()
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def _by(samples: list[Sample], name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The samples called `name`, summed by `labels`."""
    totals: dict[tuple[str, ...], float] = {}
    for sample in samples:
        if sample.name == name:
            key = tuple(sample.labels[label] for label in labels)
            totals[key] = totals.get(key, 0.0) + sample.value
    return totals


@contextmanager
def _broker(env: dict[str, str]) -> Iterator[Celery]:
    """A bare Celery app on the workers' broker: to send messages and ask the workers."""
    probe = Celery("probe", broker=broker_url_beside(env["REDIS_URL"]), set_as_current=False, fixups=[])
    try:
        yield probe
    finally:
        probe.close()


def _tasks_taken_once_idle(env: dict[str, str], name: str) -> dict[str, int]:
    """Celery's own count of the tasks the worker took, by name, once it runs and holds none."""
    node = node_name(name)
    with _broker(env) as probe:
        inspect = probe.control.inspect([node], timeout=5)

        def idle() -> bool:
            return (inspect.active() or {}).get(node) == [] and (inspect.reserved() or {}).get(node) == []

        wait_for(idle, "the worker to finish every task it took")
        return dict(inspect.stats()[node]["total"])


def _cycle_on_a_serving_worker(env: dict[str, str], tmp_path: Path) -> tuple[list[Sample], dict[str, int]]:
    """Run a cycle on a worker serving metrics: what it served after, and the tasks it took."""
    serving, port = _serving(env, tmp_path)
    worker = start_worker(serving, "m1")
    try:
        done = manage(serving, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")
        assert done.returncode == 0, done.stdout + done.stderr
        taken = _tasks_taken_once_idle(serving, "m1")
        return _scrape(port), taken
    finally:
        stop(worker)


def test_a_cycle_is_counted_by_task_and_state_as_the_worker_ran_it(env, tmp_path) -> None:
    samples, taken = _cycle_on_a_serving_worker(env, tmp_path)

    assert taken["marketdata.refresh_cycle"] == 1 and sum(taken.values()) > 1, taken
    # Every task counted once, by its name, as succeeded, in whichever child ran it.
    assert _by(samples, TASKS, "task", "state") == {(task, "succeeded"): n for task, n in taken.items()}
    # …and timed once.
    assert _by(samples, "mojo_celery_task_duration_seconds_count", "task") == {
        (task,): n for task, n in taken.items()
    }
    assert _by(samples, "mojo_celery_queue_depth", "queue") == {("celery",): 0}  # nothing left waiting


def test_the_cycle_record_counts_each_processs_own_upstream_calls(env, tmp_path) -> None:
    # Each task measures its own process's calls (before and after); the worker serves every
    # process's: the sum of the parts is the whole, no call counted twice or lost.
    samples, _ = _cycle_on_a_serving_worker(env, tmp_path)

    recorded = last_cycle(database_of(env))["upstream_calls"]
    served = {
        endpoint: int(n) for (endpoint,), n in _by(samples, "mojo_upstream_calls_total", "endpoint").items()
    }
    assert served and json.loads(recorded) == served


def test_queue_depth_is_what_waits_in_the_broker_and_an_unknown_task_is_rejected(env, tmp_path) -> None:
    serving, port = _serving(env, tmp_path)
    # This worker takes only from "elsewhere": what is sent to "celery" waits there.
    worker = start_worker(serving, "m2", args=["-Q", "elsewhere"])
    try:
        before = _by(_scrape(port), "mojo_celery_queue_depth", "queue")
        with _broker(serving) as probe:
            for _ in range(3):
                probe.send_task("tests.never_run", queue="celery")
            probe.send_task("tests.not_a_task", queue="elsewhere")
        waiting = _by(_scrape(port), "mojo_celery_queue_depth", "queue")
        rejected = lambda: _by(_scrape(port), TASKS, "task", "state").get(("unknown", "rejected"))  # noqa: E731
        wait_for(lambda: rejected() == 1, "the worker to reject the task it does not know")
        after = _by(_scrape(port), "mojo_celery_queue_depth", "queue")
    finally:
        stop(worker)

    assert before == {("celery",): 0, ("elsewhere",): 0}
    assert waiting[("celery",)] == 3
    assert after == {("celery",): 3, ("elsewhere",): 0}


def test_a_worker_removes_its_metrics_directory_and_those_killed_workers_left(env, tmp_path) -> None:
    serving, port = _serving(env, tmp_path)
    temporary = Path(serving["TMPDIR"])
    killed = start_worker(serving, "m3")
    (left,) = temporary.glob(f"{DIRECTORY_PREFIX}*")
    killed.kill()  # SIGKILL: no clean-up (its children die with it)
    killed.wait(timeout=30)

    worker = start_worker(serving, "m4")
    try:
        (own,) = temporary.glob(f"{DIRECTORY_PREFIX}*")
        assert own != left  # the killed worker's directory is gone, this one has its own
        assert _scrape(port)  # and serves on the port the killed one had
    finally:
        stop(worker)
    assert list(temporary.glob(f"{DIRECTORY_PREFIX}*")) == []


def test_a_worker_whose_metrics_port_is_taken_stops_and_says_which(env, tmp_path) -> None:
    serving, port = _serving(env, tmp_path)
    with socket.socket() as taken:  # another worker's, say
        taken.bind(("127.0.0.1", port))
        taken.listen()
        ran = subprocess.run(
            celery("worker", "-P", "prefork", "-c", "1", "-n", node_name("m5"), "-l", "WARNING"),
            cwd=ROOT,
            env=serving,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    assert ran.returncode != 0
    assert f"worker metrics cannot listen on 127.0.0.1:{port} (CELERY_METRICS_PORT" in ran.stderr, ran.stderr
    assert list(Path(serving["TMPDIR"]).glob(f"{DIRECTORY_PREFIX}*")) == []


# --- The queue-depth collector alone, on the suite's Redis ----------------------------------------
def test_queue_depth_sums_every_priority_list_of_each_queue(redis_server: LocalRedis) -> None:
    client = redis_lib.Redis.from_url(broker_url_beside(redis_server.url))
    client.flushdb()
    client.lpush("celery", "a", "b")
    client.lpush("celery\x06\x163", "c")  # kombu's list for priority step 3
    client.lpush("other\x06\x169", "d")

    (family,) = QueueDepthCollector(client, lambda: ["celery", "other", "empty"]).collect()

    assert {s.labels["queue"]: s.value for s in family.samples} == {"celery": 3, "other": 1, "empty": 0}


def test_queue_depth_reads_the_lists_under_the_brokers_key_prefix(redis_server: LocalRedis) -> None:
    client = redis_lib.Redis.from_url(broker_url_beside(redis_server.url))
    client.flushdb()
    client.lpush("mojo:celery", "a")
    client.lpush("celery", "not ours")

    (family,) = QueueDepthCollector(client, lambda: ["celery"], key_prefix="mojo:").collect()

    assert [s.value for s in family.samples] == [1]


def test_queue_depth_is_absent_not_zero_when_the_broker_is_down() -> None:
    dead: Any = redis_lib.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))

    assert list(QueueDepthCollector(dead, lambda: ["celery"]).collect()) == []
