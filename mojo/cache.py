"""Cache key function: Redis stores the spec's logical keys unchanged (no ":1:" prefix)."""

from __future__ import annotations


def logical_key(key: str, key_prefix: str, version: int | None) -> str:
    """Return the key as given, so Redis holds e.g. ``finance:cache:stock:AAPL``."""
    return key


def reverse_logical_key(key: str) -> str:
    """Inverse of `logical_key` (django-redis uses it when listing keys)."""
    return key
