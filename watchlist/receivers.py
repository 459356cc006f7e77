"""What watchlist does when marketdata says something happened (`marketdata.signals`).

Connected in `WatchlistConfig.ready`.
"""

from __future__ import annotations

import logging
from typing import Any

from marketdata import clock
from watchlist import trades

logger = logging.getLogger(__name__)


def expire_trade_legs(sender: Any, **kwargs: Any) -> None:
    """After each refresh cycle: close the option legs that expired (OTM at 0; ITM assigned)."""
    handled = trades.trades_expire_due(today=clock.market_today())
    if handled:
        logger.info("expired legs closed: %s", ", ".join(leg.option_ticker or "" for leg in handled))
