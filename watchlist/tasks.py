"""Beat's refresh (every watched symbol and open contract, as one cycle) and alert deliveries.

The refresh is here rather than in `marketdata.tasks` because what is watched and held is
watchlist's to say (`selectors.refresh_request`); the cycle itself is market data's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import Task, shared_task

from marketdata import clock
from marketdata import services as marketdata_services
from marketdata import tasks as marketdata_tasks
from watchlist import alert_delivery, alerts, selectors

logger = logging.getLogger(__name__)


@shared_task(name="watchlist.refresh_market_data")
def refresh_market_data(force: bool = False, only: list[str] | None = None) -> int:
    """Enqueue a cycle of what users watch and hold (a skipped one if another runs); its id."""
    cycle = marketdata_tasks.refresh_cycle_enqueue(
        **selectors.refresh_request(), force=force, only=only or list(marketdata_services.REFRESH_CHOICES)
    )
    return int(cycle.pk)


@shared_task(bind=True, name="watchlist.alert_deliver", ignore_result=True, max_retries=None)
def alert_deliver(self: Task[Any, Any], delivery_id: int) -> str:
    """Send one alert delivery; a failure that may pass is tried again after a doubling wait."""
    attempt = alert_delivery.alert_delivery_attempt(delivery_id, now=clock.now())
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.status


def alert_deliveries_enqueue(delivery_ids: Sequence[int]) -> int:
    """Hand deliveries to the workers; how many were. Never raises: the rest wait for the next cycle.

    A broker that is down (or none configured) must not fail the cycle that found the alerts:
    what could not be handed over stays pending, and the next cycle hands it over again.
    """
    handed: list[int] = []
    try:
        for delivery_id in delivery_ids:
            alert_deliver.apply_async((delivery_id,), retry=False)
            handed.append(delivery_id)
    except Exception as error:  # kombu's OperationalError, a refused socket, a missing broker URL
        logger.warning(
            "alert deliveries not handed to the workers (%d left for the next cycle): %s",
            len(delivery_ids) - len(handed),
            error,
        )
    alerts.deliveries_queued(handed, now=clock.now())
    return len(handed)
