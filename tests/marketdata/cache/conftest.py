"""The cache tests talk to the suite's real redis-server."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _uses_redis(redis: object) -> None:
    """Every test in this folder starts with an empty Redis."""
