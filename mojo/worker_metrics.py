"""Each Celery worker's own Prometheus metrics, served by its main process on CELERY_METRICS_PORT.

A prefork worker runs its tasks in child processes, while the HTTP server lives in the main
process. So a worker with a port set puts prometheus-client in multiprocess mode for itself
alone: a private directory, chosen before any metric value exists, removed when the worker
exits. Its children write their counts there and the main process serves the sum. Multiprocess
mode sums one host's processes only, so each worker serves its own port (two workers on one
host, two ports) and Prometheus scrapes every worker.

- `mojo_celery_tasks_total{task,state}`: tasks that ended, by registered task name ("unknown"
  for a name this worker does not know) and state: succeeded, failed, retried, revoked, rejected.
- `mojo_celery_task_duration_seconds{task}`: how long each task ran in a worker process (a
  task whose process was lost, or that hit its hard time limit, has no duration).
- `mojo_celery_queue_depth{queue}`: the messages waiting in the broker that no worker has
  taken yet (LLEN of every priority's list, at scrape time). It is the broker's, so every
  worker reports the same value: use max(), not sum().

The market-data metrics the tasks record (`marketdata.metrics`) come along, summed over the
children. `mojo.celery` connects the receivers below to Celery's signals and adds
`MetricsServer` to the worker's bootsteps.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

import click
import redis
from celery import bootsteps
from kombu.transport.redis import PRIORITY_STEPS, Channel
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

DIRECTORY_PREFIX = "mojo-celery-metrics-"
QUEUE_DEPTH_TIMEOUT = 2.0  # seconds, per scrape: a dead broker costs one short timeout
REDIS_SCHEMES = ("redis", "rediss", "unix")

# Labelled only: a labelled metric makes no value until `.labels()`, so importing this module
# before the switch to multiprocess mode creates none. Not in the default registry: the web's
# /metrics stays as it was; the worker serves every process's files.
TASKS = Counter(
    "mojo_celery_tasks_total",
    "Celery tasks that ended on this worker, by task name and state.",
    ["task", "state"],
    registry=None,
)
TASK_DURATION = Histogram(
    "mojo_celery_task_duration_seconds",
    "How long a Celery task ran in a worker process.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600),
    registry=None,
)


@dataclass
class _Multiprocess:
    """This worker's metrics directory and the process that owns it (its main process)."""

    directory: str = ""
    owner: int = 0


_multiprocess = _Multiprocess()
_started: dict[str, float] = {}  # task id -> when it started, in the process that runs it


def metrics_port() -> int:
    """CELERY_METRICS_PORT; 0 (off) when it is unset or Django has no settings module."""
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return 0
    return int(getattr(settings, "CELERY_METRICS_PORT", 0) or 0)


def starting_a_worker() -> bool:
    """True in `celery … worker` while it loads the app (click's context names the subcommand)."""
    context = click.get_current_context(silent=True)
    return context is not None and context.find_root().invoked_subcommand == "worker"


def multiprocess_mode_for_this_worker() -> bool:
    """Put prometheus-client in multiprocess mode for this worker alone, when it serves metrics.

    `mojo.celery` calls it as the app loads, before Django is set up and any metric value
    exists. prometheus-client picks its value class once, when it is imported, from
    PROMETHEUS_MULTIPROC_DIR, and each value takes the class of the moment it is made; so
    this sets both the variable (children inherit it) and the class. A directory inherited
    from the environment (make serve's) is replaced: the worker's metrics are its own.
    Returns whether this process is such a worker.
    """
    if _multiprocess.directory:
        return True
    if not starting_a_worker() or not metrics_port():
        return False
    _remove_stale_directories(Path(tempfile.gettempdir()))
    directory = tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{_owner_tag(os.getpid())}-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.MultiProcessValue()
    _multiprocess.directory, _multiprocess.owner = directory, os.getpid()
    atexit.register(_remove_directory)
    return True


def _remove_directory() -> None:
    if _multiprocess.directory and os.getpid() == _multiprocess.owner:  # never from a child
        shutil.rmtree(_multiprocess.directory, ignore_errors=True)


def _owner_tag(pid: int) -> str:
    return f"{pid}@{socket.gethostname()}"


def _remove_stale_directories(parent: Path) -> None:
    """Remove the directories of workers on this host that died without cleaning up (SIGKILL).

    The host name is in the directory's name, so a /tmp shared across containers (other pid
    namespaces) never loses a live worker's directory.
    """
    for path in parent.glob(f"{DIRECTORY_PREFIX}*@*-*"):
        owner, _, host = path.name.removeprefix(DIRECTORY_PREFIX).rpartition("-")[0].partition("@")
        if owner.isdigit() and host == socket.gethostname() and not _alive(int(owner)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        pass
    return True


# --- Counting: receivers of Celery's signals, in whichever process sends them ------------------
def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    """task_prerun: note when the task started."""
    if task_id:
        _started[task_id] = time.monotonic()


def task_ended(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """task_postrun: record how long the task ran."""
    started = _started.pop(task_id or "", None)
    if started is not None:
        TASK_DURATION.labels(task=_task_name(task)).observe(time.monotonic() - started)


def task_succeeded(sender: Any = None, **kwargs: Any) -> None:
    """task_success (in the child that ran it)."""
    TASKS.labels(task=_task_name(sender), state="succeeded").inc()


def task_failed(sender: Any = None, **kwargs: Any) -> None:
    """task_failure: an exception in the child, or a hard time limit or lost process in the main."""
    TASKS.labels(task=_task_name(sender), state="failed").inc()


def task_retried(sender: Any = None, **kwargs: Any) -> None:
    """task_retry."""
    TASKS.labels(task=_task_name(sender), state="retried").inc()


def task_revoked(sender: Any = None, **kwargs: Any) -> None:
    """task_revoked (in the main process)."""
    TASKS.labels(task=_task_name(sender), state="revoked").inc()


def task_rejected(sender: Any = None, message: Any = None, **kwargs: Any) -> None:
    """task_rejected: a message the worker could not take (unknown format, invalid task)."""
    name = (getattr(message, "headers", None) or {}).get("task")
    registered = getattr(getattr(sender, "app", None), "tasks", {})
    TASKS.labels(task=name if name in registered else "unknown", state="rejected").inc()


def task_unknown(**kwargs: Any) -> None:
    """task_unknown: a task name this worker has not registered (any name: never a label)."""
    TASKS.labels(task="unknown", state="rejected").inc()


def process_shutdown(**kwargs: Any) -> None:
    """worker_process_shutdown: retire this child's live gauges, as gunicorn's child_exit does."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())


def _task_name(task: Any) -> str:
    return str(getattr(task, "name", None) or "unknown")


# --- Queue depth, read from the broker at scrape time -----------------------------------------
class QueueDepthCollector(Collector):
    """`mojo_celery_queue_depth{queue}`: messages waiting in the broker's Redis lists.

    kombu keeps one list per queue and priority step (`queue`, `queue<sep>3`, …); a message a
    worker has taken (reserved, unacknowledged) is no longer in them. When the broker cannot
    be read, the scrape has no depth at all (unknown, not 0) and a Redis error is counted.
    """

    def __init__(
        self,
        client: redis.Redis,
        queues: Callable[[], Iterable[str]],
        *,
        key_prefix: str = "",
        priority_steps: Sequence[int] = PRIORITY_STEPS,
        separator: str = Channel.sep,
    ) -> None:
        self._client = client
        self._queues = queues
        self._prefix = key_prefix
        self._steps = tuple(priority_steps)
        self._separator = separator

    def keys(self, queue: str) -> list[str]:
        """The Redis lists of one queue, one per priority step."""
        base = f"{self._prefix}{queue}"
        return [f"{base}{self._separator}{step}" if step else base for step in self._steps]

    def depths(self) -> dict[str, int]:
        """Each queue's waiting messages (raises redis.RedisError when the broker can't be read)."""
        names = sorted(set(self._queues()))
        with self._client.pipeline(transaction=False) as pipe:
            for name in names:
                for key in self.keys(name):
                    pipe.llen(key)
            lengths = pipe.execute()
        per_queue = len(self._steps)
        return {name: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, name in enumerate(names)}

    def collect(self) -> Iterator[Metric]:
        """Yield the gauge, or nothing when the broker cannot be read."""
        try:
            depths = self.depths()
        except (redis.RedisError, OSError) as error:
            logger.warning("worker metrics: the broker's queue depth could not be read: %s", error)
            from marketdata.metrics import REDIS_ERRORS

            REDIS_ERRORS.labels(operation="queue_depth").inc()
            return
        gauge = GaugeMetricFamily(
            "mojo_celery_queue_depth",
            "Messages waiting in the broker's queue, taken by no worker yet.",
            labels=["queue"],
        )
        for name, depth in depths.items():
            gauge.add_metric([name], depth)
        yield gauge


def queue_depth_collector(app: Any) -> QueueDepthCollector | None:
    """The collector for the app's broker and every queue it knows; None when the broker is not Redis."""
    url = str(app.conf.broker_read_url or app.conf.broker_url or "")
    if urlsplit(url).scheme not in REDIS_SCHEMES:
        logger.warning("worker metrics: no queue depth: the broker is not a Redis URL")
        return None
    options = app.conf.broker_transport_options or {}
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=QUEUE_DEPTH_TIMEOUT,
        socket_timeout=QUEUE_DEPTH_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    return QueueDepthCollector(
        client,
        lambda: list(app.amqp.queues),  # the queues the app knows, consumed here or not
        key_prefix=options.get("global_keyprefix", ""),
        priority_steps=options.get("priority_steps", PRIORITY_STEPS),
        separator=options.get("sep", Channel.sep),
    )


# --- The endpoint --------------------------------------------------------------------------
class MetricsServer(bootsteps.StartStopStep):
    """The worker's metrics endpoint, in its main process, after the pool's first children.

    A bootstep rather than a worker_init receiver: Celery logs and ignores a receiver's
    exception, but a step that cannot start (the port is taken) stops the worker with an
    "Unrecoverable error", so a port configured twice on one host is noticed at once.
    """

    label = "Metrics"
    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._server: WSGIServer | None = None

    def include_if(self, worker: Any) -> bool:
        return bool(_multiprocess.directory) and os.getpid() == _multiprocess.owner

    def create(self, worker: Any) -> MetricsServer:
        return self

    def start(self, worker: Any) -> None:
        from django.conf import settings

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=_multiprocess.directory)
        collector = queue_depth_collector(worker.app)
        if collector is not None:
            registry.register(collector)
        port, address = metrics_port(), settings.CELERY_METRICS_ADDR
        try:
            self._server, _ = start_http_server(port, addr=address, registry=registry)
        except OSError as error:
            why = f"{address}:{port} (CELERY_METRICS_PORT: one port per worker on a host): {error.strerror}"
            raise OSError(error.errno, f"worker metrics cannot listen on {why}") from error
        logger.info("worker metrics on http://%s:%s/metrics", address, port)

    def stop(self, worker: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def terminate(self, worker: Any) -> None:
        self.stop(worker)
