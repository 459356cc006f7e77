"""Where the task queue lives: a Redis database beside the cache's, never the cache's own.

A cache flush (`invalidate_market_data --all`, an operator's FLUSHDB) or an eviction under
`maxmemory` must not eat queued tasks, so the broker defaults to the next database number of
the same server; the broker's Redis must run with `maxmemory-policy noeviction`.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

# Redis servers have 16 databases (0–15) unless configured otherwise.
REDIS_DATABASES = 16


def broker_url_beside(cache_url: str) -> str:
    """The cache's Redis URL with the database number + 1 (db 15 wraps to 0); "" stays ""."""
    if not cache_url:
        return ""
    parts = urlsplit(cache_url)
    path = parts.path.strip("/")
    database = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{(database + 1) % REDIS_DATABASES}"))


def task_time_limits(visibility_timeout: int) -> tuple[int, int]:
    """(soft, hard) task time limits in seconds, below the broker's visibility timeout.

    A task still running when the visibility timeout passes is handed to a second worker
    (Redis redelivers unacknowledged messages): the hard limit must end it first, and the
    soft limit leaves it time to clean up.
    """
    if visibility_timeout < 10:
        raise ValueError(f"CELERY_VISIBILITY_TIMEOUT must be at least 10 seconds, not {visibility_timeout}")
    hard = int(visibility_timeout * 0.9)
    return int(visibility_timeout * 0.8), hard
