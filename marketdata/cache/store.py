"""Reads and writes of entries and plain values in Redis, failing open.

A Redis failure never fails a request: reads miss, writes and deletes are skipped, each
counted and logged at most once a minute (`redis_failed`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache

from core.cache import fail_open
from marketdata.cache.entries import Entry
from marketdata.cache.local import local_entries
from marketdata.metrics import REDIS_ERRORS

logger = logging.getLogger("marketdata.cache")  # one logger for the package, as before the split

P = ParamSpec("P")
R = TypeVar("R")

_last_outage_log = 0.0
_outage_log_lock = threading.Lock()


def redis_failed(operation: str, error: BaseException) -> None:
    """Count a Redis failure; log it at most once a minute."""
    global _last_outage_log
    REDIS_ERRORS.labels(operation=operation).inc()
    with _outage_log_lock:
        now = time.monotonic()
        if now - _last_outage_log < 60:
            return
        _last_outage_log = now
    logger.warning("Redis unavailable (%s): %s; serving without the cache", operation, error)


def fail_open_as(operation: str, default: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`core.cache.fail_open`, counting and logging a failure as the Redis `operation`."""
    return fail_open(default, report=functools.partial(redis_failed, operation))


@fail_open_as("get_many", default=None)
def _get_many(keys: list[str]) -> dict[str, Any] | None:
    return cache.get_many(keys)


@fail_open_as("set", default=False)
def _set(key: str, value: Any, timeout: int | None) -> bool:
    cache.set(key, value, timeout=timeout)
    return True


def read(key: str) -> Entry | None:
    """Read one entry; None when absent, unreadable or Redis is down."""
    return read_many([key]).get(key)


def read_many(keys: Iterable[str]) -> dict[str, Entry]:
    """Read several entries in one round trip; missing ones are absent from the result."""
    found: dict[str, Entry] = {}
    remote: list[str] = []
    for key in keys:
        local = local_entries.get(key)
        if local is not None:
            found[key] = local
        else:
            remote.append(key)
    stored = _get_many(remote) if remote else None
    for key, value in (stored or {}).items():
        entry = Entry.decode(value)
        if entry is not None:
            found[key] = entry
            local_entries.put(key, entry)
    return found


def write(key: str, entry: Entry, *, fresh_ttl: int, retention: int | None = None) -> bool:
    """Store an entry for its fresh TTL plus the stale retention; False when Redis is down."""
    keep = fresh_ttl + (settings.MARKETDATA_STALE_RETENTION if retention is None else retention)
    local_entries.evict([key])
    if not _set(key, entry.encode(), keep):
        return False
    local_entries.put(key, entry)
    return True


def set_value(key: str, value: Any, *, timeout: int | None = None) -> None:
    """Store a plain value (e.g. the last refresh time); skipped when Redis is down."""
    _set(key, value, timeout)


@fail_open_as("get", default=None)
def get_value(key: str) -> Any:
    """Read a plain value; None when absent or Redis is down."""
    return cache.get(key)


def delete_keys(keys: Iterable[str]) -> int:
    """Delete keys; return how many existed (0 when Redis is down)."""
    keys = list(keys)
    if not keys:
        return 0
    local_entries.evict(keys)
    return _delete_existing(keys)


@fail_open_as("delete", default=0)
def _delete_existing(keys: list[str]) -> int:
    existing = list(cache.get_many(keys))
    if existing:
        cache.delete_many(existing)
    return len(existing)


def keys_matching(pattern: str) -> list[str]:
    """Every stored key matching a glob (SCAN, not KEYS); [] without Redis."""
    iter_keys = getattr(cache, "iter_keys", None)
    if iter_keys is None:
        return []
    return list(_scan(iter_keys, pattern))


@fail_open_as("scan", default=())
def _scan(iter_keys: Callable[[str], Iterable[Any]], pattern: str) -> Sequence[str]:
    return [str(key) for key in iter_keys(pattern)]
