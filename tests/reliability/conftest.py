"""Fixtures for the reliability tests: Redis and the sandbox for every test; users A and B, a
staff user and their API clients."""

from __future__ import annotations

import pytest
import redis
from rest_framework.test import APIClient

from devtools.localredis import LocalRedis
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object) -> None:
    """Every test in this folder starts with an empty Redis and a reset sandbox."""


@pytest.fixture
def user_a(db):
    return UserFactory.create(username="alice")


@pytest.fixture
def user_b(db):
    return UserFactory.create(username="bob")


@pytest.fixture
def staff(db):
    return UserFactory.create(username="ops", is_staff=True)


def client_for(user) -> APIClient:
    """An API client authenticated as `user` (None: anonymous)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api(user_a) -> APIClient:
    return client_for(user_a)


@pytest.fixture
def redis_client(redis_server: LocalRedis) -> redis.Redis:
    """A raw client on the suite's Redis, for looking at what mojo stored."""
    return redis.Redis.from_url(redis_server.url)
