"""Beat's refresh: every watched symbol and open contract, sent to the workers as one cycle.

Here rather than in `marketdata.tasks` because what is watched and held is watchlist's to
say (`selectors.refresh_request`); the cycle itself is market data's.
"""

from __future__ import annotations

from celery import shared_task

from marketdata import services as marketdata_services
from marketdata import tasks as marketdata_tasks
from watchlist import selectors


@shared_task(name="watchlist.refresh_market_data")
def refresh_market_data(force: bool = False, only: list[str] | None = None) -> int:
    """Enqueue a cycle of what users watch and hold (a skipped one if another runs); its id."""
    cycle = marketdata_tasks.refresh_cycle_enqueue(
        **selectors.refresh_request(), force=force, only=only or list(marketdata_services.REFRESH_CHOICES)
    )
    return int(cycle.pk)
