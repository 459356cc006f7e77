"""/metrics: Prometheus text without a session, restricted by address and/or bearer token."""

from __future__ import annotations

import pytest

from marketdata.metrics import CACHE_REQUESTS

TOKEN = "scrape-token-7b1f3c"


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
