"""Watchlist app: tickers, watchlists and positions."""

from __future__ import annotations

from django.apps import AppConfig


class WatchlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "watchlist"
    verbose_name = "Watchlists and positions"
