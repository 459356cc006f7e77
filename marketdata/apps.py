"""Market data app: providers, cache, analytics and the market-data API."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class MarketdataConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        """Register the provider settings check (run by `check`, `migrate`, `runserver`)."""
        from marketdata.checks import check_provider_settings

        checks.register(check_provider_settings, "providers")
