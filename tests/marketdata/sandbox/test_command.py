"""`manage.py marketdata_sandbox`: prints its base URL, serves until interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from marketdata.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_command_prints_its_base_url_and_serves_until_interrupted():
    process = subprocess.Popen(
        [sys.executable, "manage.py", "marketdata_sandbox", "--port", "0", "--today", "2026-11-24"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        response = requests.get(
            f"{base_url}/v2/aggs/ticker/AAPL/range/1/day/2026-11-24/2026-11-24",
            headers={"Authorization": "Bearer k"},
            timeout=10,
        )
        assert response.json()["resultsCount"] == 1
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=10)
    assert returncode == 0


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
