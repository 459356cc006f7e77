"""The admin shows cached market data and refreshes it: Redis and the sandbox."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object) -> None:
    """Every test in this folder starts with an empty Redis and a reset sandbox."""


@pytest.fixture
def staff_client() -> Client:
    """A staff member (not a superuser) with the watchlist app's permissions."""
    staff = UserFactory.create(username="staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="watchlist"))
    client = Client()
    client.force_login(staff)
    return client
