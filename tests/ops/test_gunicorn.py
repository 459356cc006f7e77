"""mojo under gunicorn with two workers and production settings, as `make serve` runs it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.gunicorn import get_json, http_get, running_gunicorn

# One xdist worker runs the module, so its gunicorn starts once.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.xdist_group("gunicorn"),
]

HEALTHZ_CALLS = 12


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One two-worker gunicorn for the module: (base URL, its log file)."""
    directory = tmp_path_factory.mktemp("gunicorn")
    with running_gunicorn(directory, workers=2) as base_url:
        yield base_url, directory / "gunicorn.log"


def _sample(metrics_text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def _scrape(base_url: str) -> str:
    status, body = http_get(f"{base_url}/metrics")
    assert status == 200
    return body.decode()


def _log_line_with(log: Path, needle: str, timeout: float = 10.0) -> dict:
    """Return the first JSON log line containing `needle` (gunicorn logs after responding)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in log.read_text().splitlines():
            if needle in line:
                return json.loads(line)
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line with {needle!r}")
        time.sleep(0.1)


def test_healthz_is_ok_under_gunicorn_with_production_settings(gunicorn):
    base_url, _ = gunicorn

    status, body = get_json(f"{base_url}/healthz")

    assert (status, body["status"], body["database"], body["redis"]) == (200, "ok", "up", "up")


def test_request_counters_add_up_over_both_workers(gunicorn):
    base_url, _ = gunicorn
    by_method = ("django_http_requests_total_by_method_total", {"method": "GET"})
    healthz_view = (
        "django_http_requests_total_by_view_transport_method_total",
        {"view": "healthz", "transport": "http", "method": "GET"},
    )
    before = _scrape(base_url)

    for _ in range(HEALTHZ_CALLS):
        assert http_get(f"{base_url}/healthz")[0] == 200
    after = _scrape(base_url)

    # Every worker's counts, whichever worker answered: the healthz calls and the 2nd scrape.
    assert _sample(after, *by_method) - _sample(before, *by_method) == HEALTHZ_CALLS + 1
    assert _sample(after, *healthz_view) - _sample(before, *healthz_view) == HEALTHZ_CALLS


def test_django_log_lines_are_json_with_the_request_id(gunicorn):
    base_url, log = gunicorn
    request_id = f"ops-{uuid.uuid4().hex[:12]}"

    http_get(f"{base_url}/no-such-page", headers={"X-Request-ID": request_id})

    line = _log_line_with(log, "Not Found: /no-such-page")
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "django.request", request_id)


def test_gunicorn_access_lines_are_json_with_the_request_id(gunicorn):
    base_url, log = gunicorn
    request_id = f"ops-{uuid.uuid4().hex[:12]}"

    http_get(f"{base_url}/healthz", headers={"X-Request-ID": request_id})

    line = _log_line_with(log, f"request_id={request_id}")
    assert (line["logger"], "GET /healthz" in line["message"]) == ("gunicorn.access", True)
