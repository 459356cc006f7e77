"""One bounded thread pool for the services' fan-outs (batch reads, dashboard misses, refresh)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

from django.db import close_old_connections

J = TypeVar("J")
R = TypeVar("R")


def pooled(function: Callable[[J], R], jobs: Sequence[J], *, workers: int, name: str) -> Iterator[R]:
    """Run `function` over `jobs` in a bounded thread pool; yield results as each completes.

    Each job runs in a copy of the caller's context (its request id is in the job's log lines)
    and closes its database connections after it (threads get their own).
    """
    caller = contextvars.copy_context()

    def job(item: J) -> R:
        try:
            return caller.copy().run(function, item)
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix=name) as pool:
        for future in as_completed([pool.submit(job, item) for item in jobs]):
            yield future.result()
