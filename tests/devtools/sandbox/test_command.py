"""`manage.py marketdata_sandbox`: prints its base URL, serves until SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from devtools.sandbox.control import SandboxControl
from devtools.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[3]
COMMAND = [sys.executable, "manage.py", "marketdata_sandbox", "--port", "0", "--today", "2026-11-24"]
AAPL_TODAY = "/v2/aggs/ticker/AAPL/range/1/day/2026-11-24/2026-11-24"
MASSIVE_AUTH = {"Authorization": "Bearer k"}
# Liveness bound: the sandbox stops within a second; this only catches a hang.
EXIT_TIMEOUT = 30


@contextmanager
def running_sandbox(*, sigint_ignored: bool = False) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start the command; yield the process and the base URL it printed; kill it if still alive."""
    # `trap '' INT` then exec: the command starts with SIGINT ignored, as a background job of
    # a non-interactive shell (or nohup) does, so Python never installs KeyboardInterrupt.
    argv = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", *COMMAND] if sigint_ignored else COMMAND
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def assert_serves(base_url: str) -> None:
    response = requests.get(f"{base_url}{AAPL_TODAY}", headers=MASSIVE_AUTH, timeout=30)
    assert response.json()["resultsCount"] == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGINT", "SIGTERM", "SIGINT-though-ignored-at-start"],
)
def test_command_prints_its_base_url_and_serves_until_interrupted(signum, sigint_ignored):
    with running_sandbox(sigint_ignored=sigint_ignored) as (process, base_url):
        assert_serves(base_url)
        process.send_signal(signum)
        assert process.wait(timeout=EXIT_TIMEOUT) == 0


@pytest.mark.slow
def test_ctrl_c_stops_the_command_while_connections_are_idle_or_hanging():
    with running_sandbox() as (process, base_url):
        assert_serves(base_url)
        SandboxControl(base_url).fault(path="/v2/aggs/ticker/MSFT", kind="hang", seconds=600)

        def wait_on_the_hang() -> None:
            with contextlib.suppress(requests.RequestException):  # the sandbox going away ends it
                requests.get(
                    f"{base_url}/v2/aggs/ticker/MSFT/range/1/day/2026-11-24/2026-11-24",
                    headers=MASSIVE_AUTH,
                    timeout=EXIT_TIMEOUT + 30,
                )

        hanging = threading.Thread(target=wait_on_the_hang, daemon=True)
        hanging.start()
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as idle:
            idle.sendall(b"GET /__sandbox/counters HTTP/1.1\r\nHost: x\r\n\r\n")
            assert idle.recv(4096).startswith(b"HTTP/1.1 200")  # kept alive, then left idle
            _wait_for_request_count(base_url, path="/v2/aggs/ticker/MSFT")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=EXIT_TIMEOUT) == 0


def _wait_for_request_count(base_url: str, *, path: str) -> None:
    """Block until the sandbox has counted a request to a path starting with `path`."""
    for _ in range(600):
        counters = requests.get(f"{base_url}/__sandbox/counters", timeout=10).json()
        if any(key.startswith(path) for key in counters["by_path"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"the sandbox never saw a request to {path}")


@pytest.mark.slow
def test_command_refuses_a_port_in_use():
    with SandboxServer() as busy:
        result = subprocess.run(
            [sys.executable, "manage.py", "marketdata_sandbox", "--port", str(busy.port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "Cannot listen" in result.stderr
