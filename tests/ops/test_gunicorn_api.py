"""API calls under a two-worker gunicorn: metrics move, one log line per upstream call, no secrets."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AFTER_CLOSE
from tests.ops.gunicorn import http_get, manage, running_gunicorn

pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.xdist_group("gunicorn-api"),
]

MASSIVE_KEY = "massive-secret-4f9a0c71d2"
FMP_KEY = "fmp-secret-8be31d55a0"
UPSTREAM_FIELDS = {"provider", "endpoint", "symbol", "status", "attempt", "latency_ms", "request_id"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sandbox_server) -> Iterator[tuple[str, str, Path]]:
    """(base URL, API token, log file) of gunicorn pointed at the sandbox with secret keys set."""
    directory = tmp_path_factory.mktemp("gunicorn-api")
    env = {
        "MASSIVE_BASE_URL": sandbox_server.base_url,
        "FMP_BASE_URL": sandbox_server.base_url,
        "MASSIVE_API_KEY": MASSIVE_KEY,
        "FMP_API_KEY": FMP_KEY,
        "DJANGO_SUPERUSER_PASSWORD": "ops-password-123",
        "LOG_LEVEL": "INFO",
        # The sandbox's moment: after its close, so which calls a cold read makes does not
        # depend on whether the NYSE is open while the suite runs (in session it adds a snapshot).
        "MOJO_FROZEN_NOW": AFTER_CLOSE.isoformat(),
    }
    with running_gunicorn(directory, workers=2, env=env) as base_url:
        manage(directory, "createsuperuser", "--noinput", "--username", "ops", "--email", "o@x.io", env=env)
        token = re.search(r"[0-9a-f]{40}", manage(directory, "drf_create_token", "ops", env=env))
        assert token is not None
        yield base_url, token.group(0), directory / "gunicorn.log"


def _value(metrics_text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def _scrape(base_url: str) -> str:
    status, body = http_get(f"{base_url}/metrics")
    assert status == 200
    return body.decode()


def _upstream_lines(log: Path, request_id: str) -> list[dict]:
    lines = []
    for raw in log.read_text().splitlines():
        if request_id in raw and '"marketdata.upstream"' in raw:
            lines.append(json.loads(raw))
    return lines


def test_api_calls_move_upstream_cache_and_request_metrics(served, sandbox_server) -> None:
    base_url, token, _ = served
    headers = {"Authorization": f"Token {token}"}
    before = _scrape(base_url)

    for _ in range(3):
        status, _ = http_get(f"{base_url}/api/v1/stocks/MSFT/", headers=headers)
        assert status == 200
    after = _scrape(base_url)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, labels) - _value(before, name, labels)

    ok_aggs = {"provider": "massive", "endpoint": "aggs", "outcome": "ok"}
    assert moved("mojo_upstream_calls_total", **ok_aggs) == 1
    assert moved("mojo_cache_requests_total", dataset="stock", result="miss") == 1
    # The other two reads are hits, in whichever worker answered (Redis or its local layer).
    assert moved("mojo_cache_requests_total", dataset="stock", result="hit") == 2
    assert moved("django_http_requests_total_by_method_total", method="GET") >= 3


def test_each_upstream_call_logs_one_json_line_with_its_fields(served) -> None:
    base_url, token, log = served
    request_id = "ops-upstream-nvda-1"

    status, _ = http_get(
        f"{base_url}/api/v1/stocks/NVDA/",
        headers={"Authorization": f"Token {token}", "X-Request-ID": request_id},
    )
    assert status == 200
    deadline = time.monotonic() + 10
    while len(lines := _upstream_lines(log, request_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    # One bars call (Massive) and one earnings call (FMP) for a cold symbol: one line each.
    assert sorted((line["provider"], line["endpoint"]) for line in lines) == [
        ("fmp", "earnings"),
        ("massive", "aggs"),
    ]
    assert all(set(line) >= UPSTREAM_FIELDS for line in lines)
    assert all(line["symbol"] == "NVDA" and line["status"] == 200 for line in lines)


def test_no_log_line_error_body_or_metric_carries_a_provider_key(served) -> None:
    base_url, token, log = served
    headers = {"Authorization": f"Token {token}"}
    http_get(f"{base_url}/api/v1/stocks/AAPL/earnings/", headers=headers)
    _, error_body = http_get(f"{base_url}/api/v1/stocks/ZZZZ/", headers=headers)
    metrics = _scrape(base_url)

    for text in (log.read_text(), error_body.decode(), metrics):
        assert MASSIVE_KEY not in text
        assert FMP_KEY not in text
