"""/metrics: Prometheus text without a session, restricted by address and/or bearer token.

The test settings leave it open, as local settings do; production closes it to all but
loopback unless METRICS_ALLOWED_IPS or METRICS_BEARER_TOKEN is set. Those tests ask a
process on the production settings (Django's test client inside it, any REMOTE_ADDR).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from marketdata.metrics import CACHE_REQUESTS
from tests.ops.gunicorn import ROOT, production_env

TOKEN = "scrape-token-7b1f3c"
REMOTE = "203.0.113.5"
# Run under production settings: GET /metrics once per request description, print the statuses.
PRODUCTION_PROBE = """
import json, sys
import django
django.setup()
from django.test import Client
print(json.dumps([Client().get("/metrics", **extra).status_code for extra in json.loads(sys.argv[1])]))
"""


def production_metrics_statuses(
    directory: Path, requests: list[dict[str, str]], env: dict[str, str] | None = None
) -> list[int]:
    """Return the status of each GET /metrics (WSGI environ extras) under production settings."""
    full_env = production_env(directory, {"DJANGO_ALLOWED_HOSTS": "testserver"})
    # One process with its own registry; production's /metrics defaults, whatever the shell exports.
    for name in ("PROMETHEUS_MULTIPROC_DIR", "METRICS_ALLOWED_IPS", "METRICS_BEARER_TOKEN"):
        full_env.pop(name, None)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE, json.dumps(requests)],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_metrics_serves_prometheus_text_without_a_session(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in response.content


def test_metrics_include_mojo_market_data_metrics(client):
    CACHE_REQUESTS.labels("ops_test", "hit").inc()

    response = client.get("/metrics")

    assert b'mojo_cache_requests_total{dataset="ops_test",result="hit"}' in response.content


def test_metrics_refuses_a_scrape_without_the_bearer_token(client, settings):
    settings.METRICS_BEARER_TOKEN = TOKEN

    response = client.get("/metrics")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_metrics_refuses_a_wrong_bearer_token(client, settings):
    settings.METRICS_BEARER_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    assert response.status_code == 403


def test_metrics_serves_a_scrape_with_the_bearer_token(client, settings):
    settings.METRICS_BEARER_TOKEN = TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.7.7"])
def test_metrics_serves_allowed_addresses_and_networks(client, settings, address):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.168.7.7"]

    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == 200


def test_metrics_refuses_an_address_outside_the_allowed_list(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_metrics_does_not_trust_a_forwarded_for_header(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.0.0.1")

    assert response.status_code == 403


def test_metrics_requires_both_address_and_token_when_both_are_set(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.METRICS_BEARER_TOKEN = TOKEN

    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 403


@pytest.mark.slow
def test_production_metrics_refuse_a_remote_address_by_default(tmp_path):
    assert production_metrics_statuses(tmp_path, [{"REMOTE_ADDR": REMOTE}]) == [403]


@pytest.mark.slow
def test_production_metrics_serve_loopback_by_default(tmp_path):
    requests = [{"REMOTE_ADDR": "127.0.0.1"}, {"REMOTE_ADDR": "127.8.9.10"}, {"REMOTE_ADDR": "::1"}]

    assert production_metrics_statuses(tmp_path, requests) == [200, 200, 200]


@pytest.mark.slow
def test_production_metrics_stay_loopback_only_with_an_empty_allowed_list(tmp_path):
    statuses = production_metrics_statuses(tmp_path, [{"REMOTE_ADDR": REMOTE}], {"METRICS_ALLOWED_IPS": ""})

    assert statuses == [403]


@pytest.mark.slow
def test_production_metrics_serve_an_address_in_metrics_allowed_ips(tmp_path):
    env = {"METRICS_ALLOWED_IPS": "203.0.113.0/24"}

    assert production_metrics_statuses(tmp_path, [{"REMOTE_ADDR": REMOTE}], env) == [200]


@pytest.mark.slow
def test_production_metrics_with_a_token_serve_any_address_that_presents_it(tmp_path):
    requests = [{"REMOTE_ADDR": REMOTE, "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, {"REMOTE_ADDR": REMOTE}]

    statuses = production_metrics_statuses(tmp_path, requests, {"METRICS_BEARER_TOKEN": TOKEN})

    assert statuses == [200, 403]
