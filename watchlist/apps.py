"""Watchlist app: tickers, watchlists and positions."""

from __future__ import annotations

from django.apps import AppConfig


class WatchlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "watchlist"
    verbose_name = "Watchlists, positions and trades"

    def ready(self) -> None:
        from marketdata.signals import refresh_cycle_finished
        from watchlist import receivers

        # Expired legs are closed once the cycle has the expiration day's closes stored.
        refresh_cycle_finished.connect(receivers.expire_trade_legs, dispatch_uid="expire_trade_legs")
        # Then the alerts, from the trades as the expiries left them.
        refresh_cycle_finished.connect(receivers.evaluate_trade_alerts, dispatch_uid="evaluate_trade_alerts")
