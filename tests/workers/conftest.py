"""The refresh on Celery workers: a real Redis (the broker beside the cache) and the sandbox."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object) -> None:
    """Every test in this folder starts with an empty Redis and a reset sandbox."""
