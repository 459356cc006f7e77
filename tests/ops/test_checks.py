"""System checks: malformed provider settings are errors, missing keys warnings."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks


def _mojo_messages(tag: str = "providers") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in run_checks(tags=[tag]):
        found.setdefault(message.id or "", []).append(f"{message.msg} {message.hint or ''}")
    return found


@pytest.fixture(autouse=True)
def _real_providers(settings):
    settings.MASSIVE_BASE_URL = "https://api.massive.com"
    settings.FMP_BASE_URL = "https://financialmodelingprep.com"
    settings.MASSIVE_API_KEY = "mk_live_5a4c1e9f0b7d"
    settings.FMP_API_KEY = "fmp_live_0c2b8d7e6f1a"


def test_well_formed_provider_settings_pass():
    assert _mojo_messages() == {}


@pytest.mark.parametrize("url", ["api.massive.com", "ftp://api.massive.com", "https://", "", "http://a b"])
def test_a_massive_base_url_that_is_not_http_is_an_error(settings, url):
    settings.MASSIVE_BASE_URL = url

    assert "MASSIVE_BASE_URL" in _mojo_messages()["mojo.E001"][0]


def test_an_fmp_base_url_that_is_not_http_is_an_error(settings):
    settings.FMP_BASE_URL = "financialmodelingprep.com"

    assert "FMP_BASE_URL" in _mojo_messages()["mojo.E002"][0]


def test_a_missing_massive_key_warns_and_points_at_the_sandbox(settings):
    settings.MASSIVE_API_KEY = ""

    (text,) = _mojo_messages()["mojo.W001"]
    assert "MASSIVE_API_KEY" in text
    assert (
        "no key: point MASSIVE_BASE_URL at the sandbox (`manage.py marketdata_sandbox`) or set the key"
        in text
    )


def test_a_missing_massive_key_is_fine_against_the_sandbox(settings):
    settings.MASSIVE_API_KEY = ""
    settings.MASSIVE_BASE_URL = "http://127.0.0.1:8765"

    assert "mojo.W001" not in _mojo_messages()


def test_a_missing_fmp_key_warns_that_earnings_are_unknown(settings):
    settings.FMP_API_KEY = ""

    (text,) = _mojo_messages()["mojo.W002"]
    assert "earnings will show as unknown" in text


@pytest.mark.parametrize("limit", [0, -5])
def test_a_non_positive_rate_limit_is_an_error(settings, limit):
    settings.MASSIVE_RATE_LIMIT_PER_MINUTE = limit

    assert "MASSIVE_RATE_LIMIT_PER_MINUTE" in _mojo_messages()["mojo.E003"][0]


def test_no_rate_limit_is_allowed(settings):
    settings.MASSIVE_RATE_LIMIT_PER_MINUTE = None

    assert _mojo_messages() == {}


@pytest.mark.parametrize(
    "name",
    [
        "PROVIDER_CONNECT_TIMEOUT",
        "PROVIDER_READ_TIMEOUT",
        "PROVIDER_REQUEST_BUDGET",
        "MASSIVE_RATE_LIMIT_WINDOW",
    ],
)
def test_a_non_positive_timeout_or_budget_is_an_error(settings, name):
    setattr(settings, name, 0)

    (text,) = _mojo_messages()["mojo.E004"]
    assert name in text


def test_zero_retry_attempts_is_an_error(settings):
    settings.PROVIDER_RETRY_ATTEMPTS = 0

    assert "PROVIDER_RETRY_ATTEMPTS" in _mojo_messages()["mojo.E005"][0]


def test_check_messages_never_show_a_key(settings):
    settings.MASSIVE_BASE_URL = "not a url"
    settings.FMP_API_KEY = ""

    assert "mk_live_5a4c1e9f0b7d" not in repr(_mojo_messages())


def test_a_malformed_metrics_allowed_ip_is_an_error(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "metrics.example.com"]

    (text,) = _mojo_messages("operations")["mojo.E006"]
    assert "metrics.example.com" in text


def test_a_non_positive_healthz_redis_timeout_is_an_error(settings):
    settings.HEALTHZ_REDIS_TIMEOUT = 0

    assert "HEALTHZ_REDIS_TIMEOUT" in _mojo_messages("operations")["mojo.E007"][0]


@pytest.mark.parametrize("accepted", [[], [" "]])
def test_no_accepted_ticker_type_is_an_error(settings, accepted):
    settings.MASSIVE_ACCEPTED_TICKER_TYPES = accepted

    assert "MASSIVE_ACCEPTED_TICKER_TYPES" in _mojo_messages()["mojo.E008"][0]


@pytest.mark.parametrize("cap", [0, -1, "3000"])
def test_a_calendar_row_cap_that_is_not_a_positive_count_is_an_error(settings, cap):
    settings.FMP_EARNINGS_CALENDAR_ROW_CAP = cap

    assert "FMP_EARNINGS_CALENDAR_ROW_CAP" in _mojo_messages()["mojo.E009"][0]
