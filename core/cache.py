"""Redis cache plumbing below the apps: the CACHES entry, its key function, failing open.

Redis stores the spec's logical keys unchanged (no ":1:" prefix); values are msgpack +
zstd (django-redis options, never pickle). A Redis failure never fails a request:
`fail_open` turns one into a default answer, as django-redis' `omit_exception` does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# What a Redis outage raises through django-redis (a refused or reset socket is an OSError).
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, ConnectionInterrupted, OSError)

P = ParamSpec("P")
R = TypeVar("R")


def redis_cache(location: str, *, connect_timeout: float, socket_timeout: float) -> dict[str, Any]:
    """Return the django-redis CACHES entry for a Redis URL."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_FUNCTION": "core.cache.logical_key",
        "REVERSE_KEY_FUNCTION": "core.cache.reverse_logical_key",
        "TIMEOUT": None,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SERIALIZER": "django_redis.serializers.msgpack.MSGPackSerializer",
            "COMPRESSOR": "django_redis.compressors.zstd.ZStdCompressor",
            "SOCKET_CONNECT_TIMEOUT": connect_timeout,
            "SOCKET_TIMEOUT": socket_timeout,
        },
    }


def logical_key(key: str, key_prefix: str, version: int | None) -> str:
    """Return the key as given, so Redis holds e.g. ``finance:cache:stock:AAPL``."""
    return key


def reverse_logical_key(key: str) -> str:
    """Inverse of `logical_key` (django-redis uses it when listing keys)."""
    return key


def fail_open(
    default: Any, *, report: Callable[[BaseException], None] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function that talks to Redis: on a Redis failure, `report` it, return `default`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except REDIS_FAILURES as error:
                if report is not None:
                    report(error)
                result: R = default
                return result

        return wrapper

    return decorate
