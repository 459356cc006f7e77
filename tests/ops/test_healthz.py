"""/healthz: ok, degraded without Redis, 503 without the database; provider configuration."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from devtools.localredis import LocalRedis

pytestmark = pytest.mark.django_db

MASSIVE_KEY = "mk_live_5a4c1e9f0b7d"
FMP_KEY = "fmp_live_0c2b8d7e6f1a"


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A redis:// URL whose server accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert (response.json()["database"], response.json()["redis"]) == ("up", "up")


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
def test_healthz_is_degraded_but_200_when_redis_is_down(client, redis_server: LocalRedis):
    redis_server.stop()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["redis"]) == ("degraded", "down")


def test_healthz_is_503_when_the_database_is_unreachable(client):
    refused = OperationalError("connection to server at 10.0.0.9, port 5432 failed: Connection refused")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=refused):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert (response.json()["status"], response.json()["database"]) == ("down", "down")


def test_healthz_reports_redis_not_configured_without_redis_url(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert (response.status_code, response.json()["status"], response.json()["redis"]) == (
        200,
        "ok",
        "not_configured",
    )


@pytest.mark.slow  # a listening socket that never answers: a (silent) server
def test_healthz_gives_up_on_a_silent_redis_within_a_short_bound(client, settings, silent_redis):
    settings.REDIS_URL = silent_redis
    settings.HEALTHZ_REDIS_TIMEOUT = 0.2

    started = time.monotonic()
    response = client.get("/healthz")

    assert response.json()["redis"] == "down"
    assert time.monotonic() - started < 5  # generous: a load balancer's check must not hang


def test_healthz_reports_provider_configuration_without_the_keys(client, settings):
    settings.MASSIVE_API_KEY, settings.FMP_API_KEY = MASSIVE_KEY, FMP_KEY
    settings.MASSIVE_BASE_URL = "https://api.massive.com"
    settings.FMP_BASE_URL = "https://financialmodelingprep.com"

    response = client.get("/healthz")

    assert response.json()["providers"] == {
        "massive": {"base_url": "https://api.massive.com", "key_configured": True, "sandbox": False},
        "fmp": {"base_url": "https://financialmodelingprep.com", "key_configured": True, "sandbox": False},
    }
    assert MASSIVE_KEY.encode() not in response.content
    assert FMP_KEY.encode() not in response.content


def test_healthz_marks_a_loopback_base_url_as_the_sandbox(client, settings):
    settings.MASSIVE_BASE_URL = "http://127.0.0.1:8765"
    settings.MASSIVE_API_KEY = ""

    massive = client.get("/healthz").json()["providers"]["massive"]

    assert massive == {"base_url": "http://127.0.0.1:8765", "key_configured": False, "sandbox": True}


def test_healthz_never_shows_credentials_embedded_in_a_base_url(client, settings):
    settings.FMP_BASE_URL = "https://user:hunter2-secret@fmp.example.com/base?apikey=abc123"

    response = client.get("/healthz")

    assert response.json()["providers"]["fmp"]["base_url"] == "https://fmp.example.com/base"
    assert b"hunter2-secret" not in response.content
