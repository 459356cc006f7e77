"""What watchlist does when marketdata says something happened (`marketdata.signals`).

Connected in `WatchlistConfig.ready`, in this order: expired legs first, so the alerts see
the trades as they now are.
"""

from __future__ import annotations

import logging
from typing import Any

from marketdata import clock
from watchlist import alerts, tasks, trades

logger = logging.getLogger(__name__)


def expire_trade_legs(sender: Any, **kwargs: Any) -> None:
    """After each refresh cycle: close the option legs that expired (OTM at 0; ITM assigned)."""
    handled = trades.trades_expire_due(today=clock.market_today())
    if handled:
        logger.info("expired legs closed: %s", ", ".join(leg.option_ticker or "" for leg in handled))


def evaluate_trade_alerts(sender: Any, **kwargs: Any) -> None:
    """After each refresh cycle: alerts from the open trades' signals, handed to the workers to send.

    Never raises: the cycle is recorded before this runs, and alerts must not fail it. What
    went wrong is logged, and the next cycle evaluates every trade again.
    """
    try:
        due = alerts.alerts_evaluate(now=clock.now())
    except Exception:
        logger.exception("trade alerts not evaluated after this cycle")
        return
    if due:
        tasks.alert_deliveries_enqueue(due)
