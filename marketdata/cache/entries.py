"""Cache entries: a payload with when it was fetched and until when it is fresh, and its stored form.

An entry is stored as `{"v": payload, "f": fetched_at, "e": fresh_until, "m": missing}`
(epoch seconds); serialisation (msgpack) and compression (zstd) are django-redis options.
`Cached` is what a read hands its caller: the value and where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

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
