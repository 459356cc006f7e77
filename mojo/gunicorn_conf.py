"""Gunicorn configuration for `make serve` (`gunicorn -c mojo/gunicorn_conf.py`).

Worker count and timeout come from the environment (GUNICORN_WORKERS, GUNICORN_TIMEOUT);
command-line flags still win. The timeout must exceed PROVIDER_REQUEST_BUDGET, or gunicorn
would kill a worker that is still inside its provider budget. With PROMETHEUS_MULTIPROC_DIR
set, every worker writes its metrics there and `child_exit` retires a dead worker's files.
Gunicorn's own lines are JSON when LOG_JSON is on (the default with production settings).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if not value else value.strip().lower() in ("1", "true", "yes", "on")


bind = os.environ.get("BIND") or f"127.0.0.1:{_env_int('PORT', 8000)}"
workers = _env_int("GUNICORN_WORKERS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 5
# Addresses whose X-Forwarded-* headers gunicorn believes (your TLS proxy); loopback by default.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Worker heartbeat files (gunicorn's own mkstemp) in memory: Docker's /tmp is overlayfs,
# where a slow fsync can make gunicorn think a busy worker hung.
_SHM = Path("/dev/shm")  # noqa: S108
worker_tmp_dir = str(_SHM) if _SHM.is_dir() else None

accesslog = "-" if _env_bool("GUNICORN_ACCESS_LOG", True) else None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"

if _env_bool("LOG_JSON", True):
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            },
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }


def when_ready(server: Any) -> None:
    """Warn when the worker timeout would cut requests still inside the provider budget."""
    budget = float(os.environ.get("PROVIDER_REQUEST_BUDGET") or 8.0)
    if server.cfg.timeout <= budget:
        server.log.warning(
            "GUNICORN_TIMEOUT (%ss) is not longer than PROVIDER_REQUEST_BUDGET (%ss): "
            "gunicorn may kill workers still waiting on a provider",
            server.cfg.timeout,
            budget,
        )


def child_exit(server: Any, worker: Any) -> None:
    """Retire a dead worker's metric files (its live gauges) in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
