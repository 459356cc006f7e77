"""The Celery app: the refresh's tasks run on workers across hosts, with Redis as the broker.

`celery -A mojo worker` and `celery -A mojo beat -S django` (schedules are django-celery-beat
rows an admin edits). Settings are the CELERY_* ones in `mojo.settings.base`; tasks live in
each app's `tasks` module. Start workers with DJANGO_SETTINGS_MODULE set (`make worker`).
With CELERY_METRICS_PORT set, each worker serves its own Prometheus metrics (`mojo.worker_metrics`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_rejected,
    task_retry,
    task_revoked,
    task_success,
    task_unknown,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from mojo import worker_metrics

logger = logging.getLogger(__name__)

# First of all: a worker serving metrics switches prometheus-client to multiprocess mode before
# Django is set up (its apps make metric values), so its children's counts reach its server.
worker_metrics.multiprocess_mode_for_this_worker()

# No DJANGO_SETTINGS_MODULE default here: this module loads with the `mojo` package, before
# wsgi.py (production) or manage.py (local) set theirs. Workers get it from the environment.
app = Celery("mojo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(worker_metrics.MetricsServer)

# Tasks by name and state, and their durations, counted in whichever process the signal comes from.
task_prerun.connect(worker_metrics.task_started)
task_postrun.connect(worker_metrics.task_ended)
task_success.connect(worker_metrics.task_succeeded)
task_failure.connect(worker_metrics.task_failed)
task_retry.connect(worker_metrics.task_retried)
task_revoked.connect(worker_metrics.task_revoked)
task_rejected.connect(worker_metrics.task_rejected)
task_unknown.connect(worker_metrics.task_unknown)
worker_process_shutdown.connect(worker_metrics.process_shutdown)


def _cycles() -> Any:
    # Imported when a worker starts, not with the `mojo` package (Django is not set up then).
    from marketdata.services import cycles as module

    return module


class _Heartbeat:
    """A worker's "I am alive" key, renewed every HEARTBEAT_SECONDS from its main process.

    `/healthz` and the admin's refresh action read it (never a broadcast ping: that waits on
    every worker). The key outlives a killed worker by at most HEARTBEAT_TTL seconds.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.worker = ""

    def start(self, worker: str) -> None:
        self.worker = worker
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            _cycles().worker_heartbeat_clear(self.worker)

    def _beat(self) -> None:
        while not self._stop.is_set():
            try:
                _cycles().worker_heartbeat_record(self.worker)
            except Exception:  # a beat must never kill the worker; the next one tries again
                logger.exception("worker heartbeat failed")
            self._stop.wait(_cycles().HEARTBEAT_SECONDS)


_heartbeat = _Heartbeat()


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    _heartbeat.start(str(getattr(sender, "hostname", "worker")))


@worker_shutdown.connect
def _stop_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    _heartbeat.stop()
