"""Get-or-fetch: freshness, stale-if-error, single-flight across processes, the unknown-symbol memory.

`get_or_fetch` is the one path from a data set's fetch to its cached entry, and
`get_or_fetch_many` the same for a fetch that serves many entries at once; a Redis lock per
key makes concurrent callers (threads, processes, hosts) fetch once and wait for the entry.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.cache import cache

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import clock
from marketdata.cache.entries import Cached, Entry
from marketdata.cache.keys import lock_key
from marketdata.cache.store import fail_open_as, read, read_many, write
from marketdata.exceptions import ProviderError, TickerNotFound
from marketdata.metrics import CACHE_REQUESTS, SINGLEFLIGHT_WAITS

logger = logging.getLogger("marketdata.cache")

S = TypeVar("S", bound=Hashable)  # what an entry of a batch is about

UNKNOWN_SYMBOL_TTL = 3600
LOCK_TTL = 60  # a crashed holder's lock expires after this
SINGLEFLIGHT_POLL = 0.05


class Lock(Protocol):
    """A held lock: release it when done."""

    def release(self) -> None: ...


class _LocalLock:
    """Process-local lock for caches without Redis locks (local-memory fallback)."""

    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, key: str) -> None:
        with self._guard:
            self._lock = self._locks.setdefault(key, threading.Lock())

    def acquire(self) -> bool:
        return self._lock.acquire(blocking=False)

    def release(self) -> None:
        self._lock.release()


class _RedisLock:
    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def release(self) -> None:
        try:
            _release(self._lock)
        except Exception:  # not a Redis failure (those fail open): the lock is gone anyway
            logger.info("single-flight lock had already expired")


class _NoLock:
    def release(self) -> None:
        return None


NO_LOCK: Lock = _NoLock()


@fail_open_as("unlock", default=None)
def _release(lock: Any) -> None:
    # Expired, or Redis gone: the lock expires by itself.
    lock.release()


def try_lock(key: str) -> Lock | None:
    """Take the lock for `key` without waiting: None when taken; a no-op lock when Redis is down."""
    make_lock = getattr(cache, "lock", None)
    if make_lock is None:
        local = _LocalLock(key)
        return local if local.acquire() else None
    return _try_redis_lock(make_lock, key)


@fail_open_as("lock", default=NO_LOCK)
def _try_redis_lock(make_lock: Callable[..., Any], key: str) -> Lock | None:
    lock = make_lock(lock_key(key), timeout=LOCK_TTL, blocking=False)
    return _RedisLock(lock) if lock.acquire(blocking=False) else None


# --- Get or fetch -------------------------------------------------------------------------------
# "The caller did not read this entry" (as opposed to None: "read, and nothing is there").
UNREAD: Any = object()


def _served(entry: Entry, *, dataset: str, result: str, stale: bool) -> Cached[Any]:
    CACHE_REQUESTS.labels(dataset=dataset, result=result).inc()
    if entry.missing:
        raise TickerNotFound(details={"cached": True})
    return Cached(entry.value, entry.as_of, cached=True, stale=stale)


def get_or_fetch(
    *,
    key: str,
    dataset: str,
    fetch: Callable[[], Any],
    fresh_ttl: Callable[[datetime], int],
    force: bool = False,
    deadline: Deadline | None = None,
    entry: Entry | None = UNREAD,
    remember_unknown: bool = False,
) -> Cached[Any]:
    """Return the cached payload when fresh, else fetch it once for everyone and store it.

    - fresh entry (and not `force`): served as a hit;
    - otherwise one caller (per key, across processes) fetches while concurrent callers wait,
      within their deadline, for the entry it writes;
    - a failed fetch serves the old payload flagged stale (it never overwrites a good entry);
      with nothing cached the provider's typed error propagates;
    - `remember_unknown`: TickerNotFound is remembered for an hour, so nobody spends the
      quota asking again.
    `entry` lets a caller pass an entry it already read (one round trip for many keys).
    """
    now = clock.now()
    current = read(key) if entry is UNREAD else entry
    if current is not None and not force and current.is_fresh(now):
        return _served(current, dataset=dataset, result="hit", stale=False)

    lock = try_lock(key)
    if lock is None:
        filled, lock = _wait_for_fill(key, dataset=dataset, since=now, deadline=deadline)
        if filled is not None:
            return _served(filled, dataset=dataset, result="hit", stale=False)
    try:
        if not force:
            # Another caller may have filled it between our read and our lock.
            refreshed = read(key)
            if refreshed is not None and refreshed.is_fresh(clock.now()):
                return _served(refreshed, dataset=dataset, result="hit", stale=False)
        CACHE_REQUESTS.labels(dataset=dataset, result="miss").inc()
        return _fetch_and_store(
            key,
            dataset=dataset,
            fetch=fetch,
            fresh_ttl=fresh_ttl,
            fallback=current,
            remember_unknown=remember_unknown,
        )
    finally:
        lock.release()


def get_or_fetch_many(
    *,
    keys: Mapping[S, str],
    dataset: str,
    fetch_many: Callable[[Sequence[S]], Mapping[S, Any]],
    fresh_ttl: Callable[[datetime], int],
    force: bool = False,
    deadline: Deadline | None = None,
    entries: Mapping[str, Entry] | None = None,
    remember_unknown: bool = False,
) -> dict[S, Cached[Any] | MojoError]:
    """`get_or_fetch` for many subjects whose misses one fetch serves (one call for all of them).

    `keys` maps each subject to its key; `fetch_many` gets the subjects to fetch and answers
    each with its value or its MojoError. Subjects another caller is fetching are waited for
    one by one afterwards, as `get_or_fetch` does. `entries` are entries the caller already
    read (absent: nothing stored); None reads them. Errors are returned, never raised.
    """
    now = clock.now()
    current = dict(entries) if entries is not None else read_many(list(keys.values()))
    results: dict[S, Cached[Any] | MojoError] = {}
    held: dict[S, Lock] = {}
    others: list[S] = []  # another caller holds their lock
    for subject, key in keys.items():
        entry = current.get(key)
        if entry is not None and not force and entry.is_fresh(now):
            results[subject] = _served_or_error(entry, dataset=dataset)
        elif (lock := try_lock(key)) is not None:
            held[subject] = lock
        else:
            others.append(subject)
    try:
        # Another caller may have filled some between our read and our locks.
        wanted = list(held) if force else _still_missing(list(held), keys, dataset=dataset, results=results)
        if wanted:
            CACHE_REQUESTS.labels(dataset=dataset, result="miss").inc(len(wanted))
            values = fetch_many(wanted)
            for subject in wanted:
                key = keys[subject]
                results[subject] = _stored_or_error(
                    key, dataset, values[subject], fresh_ttl, current.get(key), remember_unknown
                )
    finally:
        for lock in held.values():
            lock.release()
    for subject in others:
        try:
            results[subject] = get_or_fetch(
                key=keys[subject],
                dataset=dataset,
                fetch=functools.partial(_fetch_one, fetch_many, subject),
                fresh_ttl=fresh_ttl,
                force=False,  # another caller is fetching it now: its entry is new enough
                deadline=deadline,
                entry=current.get(keys[subject]),
                remember_unknown=remember_unknown,
            )
        except MojoError as error:
            results[subject] = error
    return results


def _still_missing(
    subjects: list[S], keys: Mapping[S, str], *, dataset: str, results: dict[S, Cached[Any] | MojoError]
) -> list[S]:
    """The subjects whose entry is still not fresh; the others are served into `results`."""
    if not subjects:
        return []
    entries = read_many([keys[subject] for subject in subjects])
    missing = []
    for subject in subjects:
        entry = entries.get(keys[subject])
        if entry is not None and entry.is_fresh(clock.now()):
            results[subject] = _served_or_error(entry, dataset=dataset)
        else:
            missing.append(subject)
    return missing


def _served_or_error(entry: Entry, *, dataset: str) -> Cached[Any] | MojoError:
    try:
        return _served(entry, dataset=dataset, result="hit", stale=False)
    except TickerNotFound as error:
        return error


def _fetch_one(fetch_many: Callable[[Sequence[S]], Mapping[S, Any]], subject: S) -> Any:
    return _value_or_raise(fetch_many([subject])[subject])


def _value_or_raise(value: Any) -> Any:
    if isinstance(value, MojoError):
        raise value
    return value


def _stored_or_error(
    key: str,
    dataset: str,
    value: Any,
    fresh_ttl: Callable[[datetime], int],
    fallback: Entry | None,
    remember_unknown: bool,
) -> Cached[Any] | MojoError:
    """Store a fetched value as `get_or_fetch` does (an error: stale fallback or the error)."""
    try:
        return _fetch_and_store(
            key,
            dataset=dataset,
            fetch=lambda: _value_or_raise(value),
            fresh_ttl=fresh_ttl,
            fallback=fallback,
            remember_unknown=remember_unknown,
        )
    except MojoError as error:
        return error


def _wait_for_fill(
    key: str, *, dataset: str, since: datetime, deadline: Deadline | None
) -> tuple[Entry | None, Lock]:
    """Wait, within the deadline, for the lock holder's fresh entry, or for its lock.

    Returns (entry, lock): the fresh entry when the holder wrote one; else the lock once the
    holder let go without writing (its fetch failed) or a no-op lock when time ran out, so
    the caller fetches itself rather than fail.
    """
    SINGLEFLIGHT_WAITS.labels(dataset=dataset).inc()
    budget = settings.PROVIDER_REQUEST_BUDGET if deadline is None else deadline.remaining()
    give_up = time.monotonic() + max(0.0, min(budget, float(LOCK_TTL)))
    while time.monotonic() < give_up:
        time.sleep(SINGLEFLIGHT_POLL)
        entry = read(key)
        if entry is not None and entry.fetched_at >= since.timestamp() - 1 and entry.is_fresh(clock.now()):
            return entry, NO_LOCK
        lock = try_lock(key)
        if lock is not None:
            return None, lock
    return None, NO_LOCK


def _fetch_and_store(
    key: str,
    *,
    dataset: str,
    fetch: Callable[[], Any],
    fresh_ttl: Callable[[datetime], int],
    fallback: Entry | None,
    remember_unknown: bool,
) -> Cached[Any]:
    try:
        value = fetch()
    except TickerNotFound:
        if remember_unknown:
            at = clock.now().timestamp()
            marker = Entry(None, at, at + UNKNOWN_SYMBOL_TTL, missing=True)
            write(key, marker, fresh_ttl=UNKNOWN_SYMBOL_TTL, retention=0)
        raise
    except ProviderError as error:
        if fallback is None or fallback.missing:
            raise
        CACHE_REQUESTS.labels(dataset=dataset, result="stale").inc()
        logger.warning("serving stale %s after provider failure (%s)", dataset, error.code)
        return Cached(fallback.value, fallback.as_of, cached=True, stale=True)
    fetched_at = clock.now()
    ttl = fresh_ttl(fetched_at)
    stored = Entry(value, fetched_at.timestamp(), fetched_at.timestamp() + ttl)
    write(key, stored, fresh_ttl=ttl)
    return Cached(value, fetched_at, cached=False, stale=False)
