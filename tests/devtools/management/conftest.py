"""`make demo`'s set-up writes its cache to the suite's Redis (it starts its own sandbox)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _uses_redis(redis: object) -> None:
    """Every test in this folder starts with an empty Redis."""
