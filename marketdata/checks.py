"""System checks for the provider settings (as django.contrib.sites checks SITE_ID).

A missing key or a malformed URL is reported when mojo starts (`manage.py check`, `migrate`,
`runserver`, `make serve`), with what to do about it, instead of failing deep in a request.
`marketdata.apps.MarketdataConfig.ready()` registers `check_provider_settings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from core.checks import is_http_url, is_loopback_url, is_positive_number

SANDBOX_HINT = "`manage.py marketdata_sandbox`"
# Setting -> (check id, the real provider's URL).
_BASE_URLS = {
    "MASSIVE_BASE_URL": ("mojo.E001", "https://api.massive.com"),
    "FMP_BASE_URL": ("mojo.E002", "https://financialmodelingprep.com"),
}
_POSITIVE_NUMBERS = (
    "PROVIDER_CONNECT_TIMEOUT",
    "PROVIDER_READ_TIMEOUT",
    "PROVIDER_REQUEST_BUDGET",
    "MASSIVE_RATE_LIMIT_WINDOW",
)


def _base_url_errors() -> list[CheckMessage]:
    return [
        Error(
            f"{name} is not an http(s) URL with a host.",
            hint=f"Set {name} to {real_url} or to the sandbox's URL ({SANDBOX_HINT}).",
            id=check_id,
        )
        for name, (check_id, real_url) in _BASE_URLS.items()
        if not is_http_url(getattr(settings, name, None))
    ]


def _missing_key_warnings() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    # The sandbox needs no key, so a key is only missing when a real provider is configured.
    massive_url = getattr(settings, "MASSIVE_BASE_URL", "")
    if not getattr(settings, "MASSIVE_API_KEY", "") and not is_loopback_url(massive_url):
        messages.append(
            Warning(
                "MASSIVE_API_KEY is empty: Massive will refuse mojo's requests for quotes, bars and options.",
                hint=f"no key: point MASSIVE_BASE_URL at the sandbox ({SANDBOX_HINT}) or set the key.",
                id="mojo.W001",
            )
        )
    fmp_url = getattr(settings, "FMP_BASE_URL", "")
    if not getattr(settings, "FMP_API_KEY", "") and not is_loopback_url(fmp_url):
        messages.append(
            Warning(
                "FMP_API_KEY is empty: earnings will show as unknown.",
                hint=f"Set FMP_API_KEY, or point FMP_BASE_URL at the sandbox ({SANDBOX_HINT}).",
                id="mojo.W002",
            )
        )
    return messages


def _number_errors() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    rate_limit = getattr(settings, "MASSIVE_RATE_LIMIT_PER_MINUTE", None)
    if rate_limit is not None and not is_positive_number(rate_limit):
        messages.append(
            Error(
                f"MASSIVE_RATE_LIMIT_PER_MINUTE must be a positive number of requests (got {rate_limit!r}).",
                hint="Set it to your plan's limit (5 on the free tier), or leave it unset for no limit.",
                id="mojo.E003",
            )
        )
    for name in _POSITIVE_NUMBERS:
        value = getattr(settings, name, None)
        if not is_positive_number(value):
            messages.append(
                Error(
                    f"{name} must be a positive number of seconds (got {value!r}).",
                    hint=f"Set {name} above 0 or remove it to use the default.",
                    id="mojo.E004",
                )
            )
    attempts = getattr(settings, "PROVIDER_RETRY_ATTEMPTS", None)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        messages.append(
            Error(
                f"PROVIDER_RETRY_ATTEMPTS must be at least 1 (got {attempts!r}).",
                hint="1 means no retry; the default is 3.",
                id="mojo.E005",
            )
        )
    return messages


def _reference_errors() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    accepted = getattr(settings, "MASSIVE_ACCEPTED_TICKER_TYPES", None)
    if not isinstance(accepted, list) or not [code for code in accepted if str(code).strip()]:
        messages.append(
            Error(
                f"MASSIVE_ACCEPTED_TICKER_TYPES lists no type (got {accepted!r}): no symbol can be added.",
                hint="List the provider's type codes a new symbol may have; the default is CS,ETF,ADRC.",
                id="mojo.E008",
            )
        )
    cap = getattr(settings, "FMP_EARNINGS_CALENDAR_ROW_CAP", None)
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        messages.append(
            Error(
                f"FMP_EARNINGS_CALENDAR_ROW_CAP must be a positive number of rows (got {cap!r}).",
                hint="It is FMP's cap on an earnings-calendar answer: 3000 unless FMP says otherwise.",
                id="mojo.E009",
            )
        )
    return messages


def check_provider_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report malformed provider settings (errors) and missing keys (warnings)."""
    return [*_base_url_errors(), *_missing_key_warnings(), *_number_errors(), *_reference_errors()]
