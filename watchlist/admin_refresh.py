"""The admin's "Refresh market data" messages: a cycle sent to the workers, or each symbol's outcome.

Whether the refresh runs on the workers or in the request is `services.market_data_refresh_selected`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages

from marketdata import services as marketdata_services
from marketdata.models import RefreshCycle
from watchlist import services


def refresh_selected(symbols: Sequence[str]) -> list[tuple[int, str]]:
    """Refresh `symbols`; the messages to show, (level, text) each."""
    refreshed = services.market_data_refresh_selected(symbols)
    if isinstance(refreshed, RefreshCycle):
        if refreshed.status == RefreshCycle.Status.SKIPPED:
            return [
                (messages.WARNING, f"Not refreshed: cycle {refreshed.pk} skipped, another cycle is running.")
            ]
        return [(messages.SUCCESS, f"Cycle {refreshed.pk} sent to the workers ({len(symbols)} symbol(s)).")]
    return [refresh_message(result) for result in refreshed]


def refresh_message(result: marketdata_services.SymbolRefresh) -> tuple[int, str]:
    """The message level and text reporting one symbol's refresh."""
    datasets = ", ".join(f"{name} {state}" for name, state in result.datasets.items())
    if result.skipped:
        return messages.INFO, f"{result.symbol}: skipped, another refresh of it is running."
    if result.error == services.BUDGET_SPENT:
        return messages.WARNING, f"{result.symbol}: not refreshed, the request budget ran out."
    if result.error:
        return messages.ERROR, f"{result.symbol}: failed ({result.error})."
    if result.ok:
        return messages.SUCCESS, f"{result.symbol}: ok ({datasets})."
    return (
        messages.WARNING,
        f"{result.symbol}: stale ({datasets}); the provider did not answer, the cached data is kept.",
    )
