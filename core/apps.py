"""The core app: what every app stands on (errors, API plumbing, request ids, checks)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        """Register the operations settings check (run by `check`, `migrate`, `runserver`)."""
        from core.checks import check_operations_settings

        checks.register(check_operations_settings, "operations")
