"""System checks below the apps: URL and number helpers, and the operations settings.

`core.apps.CoreConfig.ready()` registers `check_operations_settings` (the /metrics and
/healthz settings); `marketdata.checks` uses the helpers for the provider settings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error


def is_http_url(url: object) -> bool:
    """Return True when `url` is an http(s) URL with a host."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_loopback_url(url: str) -> bool:
    """Return True when `url` points at this machine (the sandbox runs on loopback)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_positive_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def check_operations_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report malformed /metrics and /healthz settings."""
    messages: list[CheckMessage] = []
    for entry in getattr(settings, "METRICS_ALLOWED_IPS", []):
        try:
            ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            messages.append(
                Error(
                    f"METRICS_ALLOWED_IPS has {entry!r}, which is not an IP address or network.",
                    hint='List addresses or networks separated by commas, e.g. "10.0.0.0/8,127.0.0.1".',
                    id="mojo.E006",
                )
            )
    timeout = getattr(settings, "HEALTHZ_REDIS_TIMEOUT", None)
    if not is_positive_number(timeout):
        messages.append(
            Error(
                f"HEALTHZ_REDIS_TIMEOUT must be a positive number of seconds (got {timeout!r}).",
                hint="Keep it short (the default is 0.5): load balancers wait on /healthz.",
                id="mojo.E007",
            )
        )
    return messages
