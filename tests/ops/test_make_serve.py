"""`make serve` on plain HTTP: starts, serves /healthz, stops cleanly on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from devtools.localredis import free_port
from tests.ops.gunicorn import ROOT, get_json, log_tail, production_env, stop_group, wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("make_serve")]


def _installed_stamp() -> str:
    """The Makefile's "venv is installed" stamp: passed with -o so make never reinstalls."""
    checksum = subprocess.run(
        ["cksum", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    return f".venv/.installed-{checksum}"


def _group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_serve_serves_healthz_and_stops_cleanly(tmp_path: Path, signum: int):
    port = free_port()
    env = production_env(tmp_path, {"PORT": str(port), "GUNICORN_WORKERS": "1"})
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    log = tmp_path / "make-serve.log"
    with log.open("wb") as output:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "-o", _installed_stamp(), "serve"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", make, log, timeout=120)
        status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        assert (status, body["status"]) == (200, "ok")
        assert metrics_dir.is_dir()

        stop_group(make, signum)
    finally:
        if make.poll() is None:
            stop_group(make, signal.SIGKILL)

    assert _group_is_gone(make.pid), log_tail(log)
    assert "Shutting down: Master" in log.read_text(), log_tail(log)
    assert not metrics_dir.exists()
