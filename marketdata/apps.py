"""Market data app: providers, cache, analytics and the market-data API."""

from __future__ import annotations

from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketdata"
    verbose_name = "Market data"
