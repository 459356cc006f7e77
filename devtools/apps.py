"""The devtools app: gives local and test settings the `demo` and `marketdata_sandbox` commands."""

from __future__ import annotations

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "devtools"
    verbose_name = "Developer tools"
