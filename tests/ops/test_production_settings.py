"""Production settings: `check --deploy` is clean with the defaults; switches come from env."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings

from tests.ops.gunicorn import PLAIN_HTTP_ENV, ROOT, production_env

GUNICORN_CONF = ROOT / "mojo" / "gunicorn_conf.py"


def _deploy_check(tmp_path: Path, overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = production_env(tmp_path, {"MASSIVE_API_KEY": "mk_live_5a4c1e9f0b7d", "FMP_API_KEY": "fmp_0c2b8d7e"})
    for name in PLAIN_HTTP_ENV:  # the production defaults, not the laptop switches
        env.pop(name)
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_defaults(tmp_path):
    result = _deploy_check(tmp_path, {})

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_production_reads_the_ssl_redirect_switch_from_env(tmp_path):
    result = _deploy_check(tmp_path, {"DJANGO_SECURE_SSL_REDIRECT": "false"})

    assert "security.W008" in result.stdout + result.stderr


def test_gunicorn_reads_workers_and_timeout_from_env(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")

    conf = runpy.run_path(str(GUNICORN_CONF))

    assert (conf["workers"], conf["timeout"]) == (3, 45)


def test_gunicorn_default_timeout_outlasts_the_provider_request_budget(monkeypatch):
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)

    conf = runpy.run_path(str(GUNICORN_CONF))

    assert conf["timeout"] > settings.PROVIDER_REQUEST_BUDGET


def test_gunicorn_warns_when_its_timeout_is_within_the_budget(monkeypatch):
    monkeypatch.setenv("PROVIDER_REQUEST_BUDGET", "8")
    server = SimpleNamespace(cfg=SimpleNamespace(timeout=8), log=mock.Mock())

    runpy.run_path(str(GUNICORN_CONF))["when_ready"](server)

    assert "PROVIDER_REQUEST_BUDGET" in server.log.warning.call_args.args[0]


def test_gunicorn_retires_a_dead_workers_live_gauges(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead = tmp_path / "gauge_livesum_4242.db"
    dead.write_bytes(b"")
    alive = tmp_path / "gauge_livesum_4343.db"
    alive.write_bytes(b"")

    runpy.run_path(str(GUNICORN_CONF))["child_exit"](None, SimpleNamespace(pid=4242))

    assert (dead.exists(), alive.exists()) == (False, True)
