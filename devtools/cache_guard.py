"""A cache backend that refuses every call: the test settings' cache until a test asks for Redis.

Tests opt in to Redis per folder (a `conftest.py` asking for the `redis` fixture, which
points the cache at a real redis-server). A test elsewhere that reaches the cache is in the
wrong folder; it fails with this message rather than quietly running on another backend.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ImproperlyConfigured

MESSAGE = (
    "This test uses the cache but did not ask for Redis: move it to a tests/ folder whose "
    "conftest.py uses the `redis` fixture (see tests/conftest.py)."
)


class RefusingCache(BaseCache):
    """Raise ImproperlyConfigured (never a Redis error, which mojo would fail open on) on any use."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImproperlyConfigured(MESSAGE)

    add = get = set = touch = delete = clear = has_key = incr = _refuse
    get_many = set_many = delete_many = _refuse
