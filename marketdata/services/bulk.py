"""One bulk cached read for every data set: one round trip for hits, a bounded pool for misses.

The batch stock read, the dashboard and the admin's figures all read through here (as
zulip's `generic_bulk_cached_fetch` serves every kind of object). Per-request errors are
returned beside the results, never raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, clock
from marketdata.cache import Cached
from marketdata.datasets import DataSet
from marketdata.metrics import CACHE_REQUESTS

Request = tuple[DataSet[Any], Any]  # a data set and the subject of the entry wanted


@dataclass(frozen=True, slots=True)
class BulkRead:
    """What a bulk read found, and the errors of the requests it could not serve."""

    found: dict[Request, Cached[Any]] = field(default_factory=dict)
    errors: dict[Request, MojoError] = field(default_factory=dict)


def cached_many(
    requests: Iterable[Request],
    *,
    fetch_missing: bool,
    deadline: Deadline | None = None,
    concurrency: int | None = None,
    stale_ok: Collection[DataSet[Any]] = (),
) -> BulkRead:
    """Read every requested entry in one cache round trip; with `fetch_missing`, fetch the rest.

    A fresh entry is a hit. A stale one is served flagged stale when nothing may be fetched
    (no `fetch_missing`, a data set without a fetch of its own, or one in `stale_ok`);
    otherwise it, and every absent entry, is fetched with bounded concurrency, falling back
    to the stale entry when the provider fails (as every read does).
    """
    keyed = {request: request[0].key(request[1]) for request in requests}  # in order, once each
    entries = cache.read_many(keyed.values())
    now = clock.now()
    read = BulkRead()
    fetches: list[tuple[Request, cache.Entry | None]] = []
    hits: Counter[str] = Counter()
    for request, key in keyed.items():
        dataset = request[0]
        entry = entries.get(key)
        if entry is not None and not entry.missing and entry.is_fresh(now):
            read.found[request] = Cached(entry.value, entry.as_of, cached=True, stale=False)
            hits[dataset.name] += 1
        elif entry is not None and not entry.missing and not _refetches(dataset, fetch_missing, stale_ok):
            read.found[request] = Cached(entry.value, entry.as_of, cached=True, stale=True)
        elif fetch_missing and dataset.fetch is not None:
            fetches.append((request, entry))  # a fresh "unknown symbol" marker raises, unasked

    def fetch(miss: tuple[Request, cache.Entry | None]) -> tuple[Request, Cached[Any] | MojoError]:
        (dataset, subject), entry = miss
        try:
            return (dataset, subject), dataset.get(subject, deadline=deadline, entry=entry)
        except MojoError as error:
            return (dataset, subject), error

    for name, count in hits.items():  # counted once per data set: this is the hot path
        CACHE_REQUESTS.labels(dataset=name, result="hit").inc(count)
    batched = _fetch_batched(fetches, deadline=deadline, read=read)
    pooled_fetches = [miss for miss in fetches if miss[0] not in batched]
    if not pooled_fetches:
        return read
    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    for request, outcome in pooled(fetch, pooled_fetches, workers=workers, name="bulk"):
        if isinstance(outcome, MojoError):
            read.errors[request] = outcome
        else:
            read.found[request] = outcome
    return read


def _fetch_batched(
    fetches: list[tuple[Request, cache.Entry | None]], *, deadline: Deadline | None, read: BulkRead
) -> set[Request]:
    """Fetch, on this thread, the misses of data sets with one fetch for many (`fetch_many`).

    Their fetch reads stored history: it runs here, before the pool, so the database is only
    touched from the caller's thread. Returns the requests it served.
    """
    by_dataset: dict[DataSet[Any], list[tuple[Any, cache.Entry | None]]] = {}
    for (dataset, subject), entry in fetches:
        if dataset.fetch_many is not None:
            by_dataset.setdefault(dataset, []).append((subject, entry))
    served: set[Request] = set()
    for dataset, misses in by_dataset.items():
        entries = {dataset.key(subject): entry for subject, entry in misses if entry is not None}
        outcomes = dataset.get_many([subject for subject, _ in misses], deadline=deadline, entries=entries)
        for subject, outcome in outcomes.items():
            request = (dataset, subject)
            served.add(request)
            if isinstance(outcome, MojoError):
                read.errors[request] = outcome
            else:
                read.found[request] = outcome
    return served


def _refetches(dataset: DataSet[Any], fetch_missing: bool, stale_ok: Collection[DataSet[Any]]) -> bool:
    """Whether a stale entry of `dataset` is fetched again rather than served stale."""
    return fetch_missing and dataset.fetch is not None and dataset not in stale_ok
