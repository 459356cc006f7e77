"""The admin's "Refresh market data": on the Celery workers when one is alive, else in the request.

A worker's heartbeat (`marketdata.services.cycles.workers_alive`) decides: with workers the
selected symbols become one cycle (listed under *Refresh cycles*); without, each symbol is
refreshed here, within the request's provider budget, as before the workers existed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages

from core.deadline import Deadline
from marketdata import services as marketdata_services
from marketdata import tasks as marketdata_tasks
from marketdata.models import RefreshCycle
from watchlist import selectors


def refresh_selected(symbols: Sequence[str]) -> list[tuple[int, str]]:
    """Refresh `symbols` (everything, fresh or not); the messages to show, (level, text) each."""
    if marketdata_services.workers_alive():
        cycle = marketdata_tasks.refresh_cycle_enqueue(
            **selectors.refresh_request(symbols), force=True, only=list(marketdata_services.REFRESH_CHOICES)
        )
        if cycle.status == RefreshCycle.Status.SKIPPED:
            return [(messages.WARNING, f"Not refreshed: cycle {cycle.pk} skipped, another cycle is running.")]
        return [(messages.SUCCESS, f"Cycle {cycle.pk} sent to the workers ({len(symbols)} symbol(s)).")]
    deadline = Deadline.for_request()
    shown: list[tuple[int, str]] = []
    for symbol in symbols:
        if deadline.expired:
            shown.append((messages.WARNING, f"{symbol}: not refreshed, the request budget ran out."))
            continue
        refreshed = marketdata_services.symbol_refresh(symbol, force=True, deadline=deadline)
        shown.append(refresh_message(refreshed))
    return shown


def refresh_message(result: marketdata_services.SymbolRefresh) -> tuple[int, str]:
    """The message level and text reporting one symbol's refresh."""
    datasets = ", ".join(f"{name} {state}" for name, state in result.datasets.items())
    if result.skipped:
        return messages.INFO, f"{result.symbol}: skipped, another refresh of it is running."
    if result.error:
        return messages.ERROR, f"{result.symbol}: failed ({result.error})."
    if result.ok:
        return messages.SUCCESS, f"{result.symbol}: ok ({datasets})."
    return (
        messages.WARNING,
        f"{result.symbol}: stale ({datasets}); the provider did not answer, the cached data is kept.",
    )
