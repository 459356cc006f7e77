"""Start mojo the way production runs it (gunicorn, production settings) for a test.

`running_gunicorn(directory)` migrates a file-backed sqlite database in `directory`, starts
gunicorn on a free loopback port in its own process group and yields the base URL; its
output (JSON log lines) goes to `directory / "gunicorn.log"`. On exit the group gets
SIGTERM, as a supervisor would send it. `manage(directory, ...)` runs a management command
against the same database (users, tokens). Static files are not collected: JSON endpoints
need none, HTML pages under production storage would.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devtools.localredis import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
# The README's switches for plain HTTP on a laptop: no HTTPS redirect, HSTS or secure cookies.
PLAIN_HTTP_ENV = {
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "DJANGO_SESSION_COOKIE_SECURE": "false",
    "DJANGO_CSRF_COOKIE_SECURE": "false",
}


def production_env(directory: Path, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return an environment for production settings on plain HTTP with state in `directory`.

    REDIS_URL is inherited: the suite's conftest exports its private Redis.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("BIND", "PORT", "DJANGO_DEBUG")}
    env.update(PLAIN_HTTP_ENV)
    env.update(
        DJANGO_SETTINGS_MODULE="mojo.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{directory / 'db.sqlite3'}",
        PROMETHEUS_MULTIPROC_DIR=str(directory / "prometheus"),
    )
    env.update(overrides or {})
    return env


def http_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET `url`; return (status, body) for any HTTP answer, errors included."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get_json(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
    """GET `url` and decode its JSON body."""
    status, body = http_get(url, headers)
    return status, json.loads(body)


def log_tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file (for failure messages)."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until /healthz answers; fail early, with the log, if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_tail(log)}")
        try:
            # Once connected, wait for the answer however slow: a poll given up on would still
            # be answered later, and be counted in a test's request metrics.
            http_get(f"{base_url}/healthz", timeout=max(1.0, deadline - time.monotonic()))
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer within {timeout}s:\n{log_tail(log)}")


def stop_group(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, timeout: float = 60.0) -> None:
    """Send `signum` to the process group and wait; SIGKILL the group if it hangs."""
    try:
        os.killpg(process.pid, signum)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def manage(directory: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run a management command against the database in `directory`; return its stdout.

    Use it to prepare what a served test needs, e.g. ``manage(d, "drf_create_token", "alice")``.
    """
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(directory, env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@contextmanager
def running_gunicorn(
    directory: Path,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run gunicorn with mojo's config and production settings; yield its base URL.

    `env` overrides variables of `production_env` (e.g. MASSIVE_BASE_URL of the sandbox).
    """
    directory.mkdir(parents=True, exist_ok=True)
    full_env = production_env(directory, env)
    Path(full_env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    manage(directory, "migrate", "--noinput", "-v", "0", env=env)
    port = free_port()
    log = directory / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "mojo.wsgi:application",
                "-c",
                "mojo/gunicorn_conf.py",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, log, startup_timeout)
        yield base_url
    finally:
        stop_group(process)
