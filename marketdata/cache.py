"""The market-data cache: named key functions, TTLs, stale-if-error, single-flight, metrics.

Every key comes from a function below (one per data set, exactly the spec's names). Callers
never talk to Redis: `get_or_fetch` owns freshness, stale retention, single-flight, the
"unknown symbol" memory and metrics; `read_many` gives hot paths one round trip.

An entry is `{"v": payload, "f": fetched_at, "e": fresh_until, "m": missing}` (epoch seconds),
stored for its fresh TTL plus a stale retention so a provider outage can still be answered.
Serialisation (msgpack) and compression (zstd) are django-redis options in CACHES.
Redis failures never fail a request: reads miss, writes are skipped, locks are skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.core.cache import cache

from core.cache import REDIS_FAILURES
from core.deadline import Deadline
from marketdata import clock
from marketdata.exceptions import ProviderError, TickerNotFound
from marketdata.metrics import CACHE_REQUESTS, REDIS_ERRORS, SINGLEFLIGHT_WAITS

logger = logging.getLogger(__name__)

STOCK = "stock"
BARS = "bars"
OPTIONS = "options"
OPTIONS_SUMMARY = "options_summary"
OPTION_PRICE = "option_price"
EARNINGS = "earnings"

KEY_PREFIX = "finance:cache:"
LAST_REFRESH_KEY = "finance:last_refresh"
UNKNOWN_SYMBOL_TTL = 3600
LOCK_TTL = 60  # a crashed holder's lock expires after this
SINGLEFLIGHT_POLL = 0.05


def stock_cache_key(symbol: str) -> str:
    """Key of a symbol's stock data (price, indicators, bars)."""
    return f"{KEY_PREFIX}{STOCK}:{symbol}"


def bars_cache_key(symbol: str) -> str:
    """Key of a symbol's daily bars (written with its stock data; read only for charts)."""
    return f"{KEY_PREFIX}{BARS}:{symbol}"


def options_summary_cache_key(symbol: str) -> str:
    """Key of a chain's summary (spot, ATM IV, signal counts), written with the chain."""
    return f"{KEY_PREFIX}{OPTIONS_SUMMARY}:{symbol}"


def options_cache_key(symbol: str) -> str:
    """Key of a symbol's filtered options chain."""
    return f"{KEY_PREFIX}{OPTIONS}:{symbol}"


def option_price_cache_key(option_ticker: str) -> str:
    """Key of one option contract's price snapshot."""
    return f"{KEY_PREFIX}{OPTION_PRICE}:{option_ticker}"


def earnings_cache_key(symbol: str) -> str:
    """Key of a symbol's upcoming earnings dates."""
    return f"{KEY_PREFIX}{EARNINGS}:{symbol}"


def last_refresh_key() -> str:
    """Key of the time of the last refresh run (ISO UTC)."""
    return LAST_REFRESH_KEY


def option_price_key_pattern(root: str) -> str:
    """Glob matching option-price keys whose root is `root` or `root` plus one digit."""
    return f"{KEY_PREFIX}{OPTION_PRICE}:O:{root}[0-9]*"


def _lock_key(key: str) -> str:
    return f"finance:lock:{key}"


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached payload with when it was fetched and until when it is fresh."""

    value: Any
    fetched_at: float
    fresh_until: float
    missing: bool = False

    def is_fresh(self, now: datetime) -> bool:
        """True while `now` is before the entry's fresh TTL ends."""
        return now.timestamp() < self.fresh_until

    @property
    def as_of(self) -> datetime:
        """When the payload was fetched from the provider (UTC)."""
        return datetime.fromtimestamp(self.fetched_at, tz=UTC)

    def encode(self) -> dict[str, Any]:
        """Return the stored form."""
        stored: dict[str, Any] = {"v": self.value, "f": self.fetched_at, "e": self.fresh_until}
        if self.missing:
            stored["m"] = 1
        return stored

    @classmethod
    def decode(cls, stored: Any) -> Entry | None:
        """Rebuild an entry; None for anything that is not one (never trust the store)."""
        if not isinstance(stored, dict) or "f" not in stored or "e" not in stored:
            return None
        return cls(stored.get("v"), float(stored["f"]), float(stored["e"]), bool(stored.get("m")))


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A value with where it came from: `as_of` (fetch time), `cached`, `stale`."""

    value: T
    as_of: datetime
    cached: bool
    stale: bool


# --- Redis, failing open ---------------------------------------------------------------------
_last_outage_log = 0.0
_outage_log_lock = threading.Lock()


def _redis_failed(operation: str, error: BaseException) -> None:
    """Count a Redis failure; log it at most once a minute."""
    global _last_outage_log
    REDIS_ERRORS.labels(operation=operation).inc()
    with _outage_log_lock:
        now = time.monotonic()
        if now - _last_outage_log < 60:
            return
        _last_outage_log = now
    logger.warning("Redis unavailable (%s): %s; serving without the cache", operation, error)


class _LocalEntries:
    """A short-lived in-process copy of decoded entries, in front of Redis.

    Hot keys (the same symbol requested many times a second) then cost no Redis round trip
    and no decoding. Lifetime is MARKETDATA_LOCAL_CACHE_SECONDS (0 disables it), so another
    process's refresh or invalidation shows here within that time; this process's own
    writes and deletes update it at once.
    """

    MAX_ITEMS = 4096

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Entry]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def lifetime() -> float:
        return float(getattr(settings, "MARKETDATA_LOCAL_CACHE_SECONDS", 0) or 0)

    def get(self, key: str) -> Entry | None:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, entry: Entry) -> None:
        lifetime = self.lifetime()
        if lifetime <= 0:
            return
        with self._lock:
            if len(self._items) >= self.MAX_ITEMS:
                self._items.clear()  # crude but bounded; entries are seconds-lived anyway
            self._items[key] = (time.monotonic() + lifetime, entry)

    def evict(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


local_entries = _LocalEntries()


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
    if not remote:
        return found
    try:
        stored = cache.get_many(remote)
    except REDIS_FAILURES as error:
        _redis_failed("get_many", error)
        return found
    for key, value in stored.items():
        entry = Entry.decode(value)
        if entry is not None:
            found[key] = entry
            local_entries.put(key, entry)
    return found


def write(key: str, entry: Entry, *, fresh_ttl: int, retention: int | None = None) -> bool:
    """Store an entry for its fresh TTL plus the stale retention; False when Redis is down."""
    keep = fresh_ttl + (settings.MARKETDATA_STALE_RETENTION if retention is None else retention)
    local_entries.evict([key])
    try:
        cache.set(key, entry.encode(), timeout=keep)
    except REDIS_FAILURES as error:
        _redis_failed("set", error)
        return False
    local_entries.put(key, entry)
    return True


def set_value(key: str, value: Any, *, timeout: int | None = None) -> None:
    """Store a plain value (e.g. the last refresh time); skipped when Redis is down."""
    try:
        cache.set(key, value, timeout=timeout)
    except REDIS_FAILURES as error:
        _redis_failed("set", error)


def get_value(key: str) -> Any:
    """Read a plain value; None when absent or Redis is down."""
    try:
        return cache.get(key)
    except REDIS_FAILURES as error:
        _redis_failed("get", error)
        return None


def delete_keys(keys: Iterable[str]) -> int:
    """Delete keys; return how many existed (0 when Redis is down)."""
    keys = list(keys)
    if not keys:
        return 0
    local_entries.evict(keys)
    try:
        existing = [key for key in cache.get_many(keys)]
        if existing:
            cache.delete_many(existing)
        return len(existing)
    except REDIS_FAILURES as error:
        _redis_failed("delete", error)
        return 0


def keys_matching(pattern: str) -> list[str]:
    """Every stored key matching a glob (SCAN, not KEYS); [] without Redis."""
    iter_keys = getattr(cache, "iter_keys", None)
    if iter_keys is None:
        return []
    try:
        return [str(key) for key in iter_keys(pattern)]
    except REDIS_FAILURES as error:
        _redis_failed("scan", error)
        return []


# --- Single-flight -----------------------------------------------------------------------------
class _Lock(Protocol):
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
            self._lock.release()
        except REDIS_FAILURES as error:  # expired or Redis gone: it will expire by itself
            _redis_failed("unlock", error)
        except Exception:  # redis' LockError when our lease already lapsed
            logger.info("single-flight lock had already expired")


class _NoLock:
    def release(self) -> None:
        return None


def _try_lock(key: str) -> _Lock | None:
    """Take the fetch lock for `key` without waiting; a no-op lock when Redis is down."""
    make_lock = getattr(cache, "lock", None)
    if make_lock is None:
        local = _LocalLock(key)
        return local if local.acquire() else None
    try:
        lock = make_lock(_lock_key(key), timeout=LOCK_TTL, blocking=False)
        return _RedisLock(lock) if lock.acquire(blocking=False) else None
    except REDIS_FAILURES as error:
        _redis_failed("lock", error)
        return _NoLock()


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

    lock = _try_lock(key)
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


def _wait_for_fill(
    key: str, *, dataset: str, since: datetime, deadline: Deadline | None
) -> tuple[Entry | None, _Lock]:
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
            return entry, _NoLock()
        lock = _try_lock(key)
        if lock is not None:
            return None, lock
    return None, _NoLock()


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
