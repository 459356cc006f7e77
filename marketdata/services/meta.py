"""The `meta` block every market-data response carries: when, from the cache or not, stale or not."""

from __future__ import annotations

from typing import Any

from marketdata.cache import Cached
from marketdata.responses import Meta


def meta_of(cached: Cached[Any]) -> Meta:
    """The `meta` block every market-data response carries."""
    return {"as_of": cached.as_of.isoformat(), "cached": cached.cached, "stale": cached.stale}
