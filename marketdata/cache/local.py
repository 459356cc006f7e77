"""The in-process layer: decoded entries kept a couple of seconds in front of Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from django.conf import settings

from marketdata.cache.entries import Entry


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
