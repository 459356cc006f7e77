"""Log lines: JSON with the upstream fields in production, and never a secret."""

from __future__ import annotations

import io
import json
import logging

import pytest

MASSIVE_KEY = "mk_live_5a4c1e9f0b7d"
FMP_KEY = "fmp_live_0c2b8d7e6f1a"

upstream = logging.getLogger("marketdata.upstream")
logger = logging.getLogger("marketdata.ops_test")


@pytest.fixture(autouse=True)
def _provider_keys(settings):
    settings.MASSIVE_API_KEY = MASSIVE_KEY
    settings.FMP_API_KEY = FMP_KEY


def _json_lines(log: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_json_lines_carry_the_upstream_call_fields(json_console_log: io.StringIO):
    upstream.info(
        "massive bars AAPL attempt 1: HTTP 200 (ok) in 42 ms",
        extra={
            "provider": "massive",
            "endpoint": "bars",
            "symbol": "AAPL",
            "attempt": 1,
            "status": 200,
            "outcome": "ok",
            "latency_ms": 42.0,
        },
    )

    (line,) = _json_lines(json_console_log)
    assert {k: line[k] for k in ("provider", "endpoint", "symbol", "attempt", "status", "latency_ms")} == {
        "provider": "massive",
        "endpoint": "bars",
        "symbol": "AAPL",
        "attempt": 1,
        "status": 200,
        "latency_ms": 42.0,
    }


def test_json_lines_carry_level_logger_time_and_request_id(json_console_log: io.StringIO):
    logger.warning("something happened")

    (line,) = _json_lines(json_console_log)
    assert {"level", "logger", "time", "request_id", "message"} <= line.keys()
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "marketdata.ops_test", "-")


def test_provider_keys_in_arguments_are_redacted(console_log: io.StringIO):
    logger.warning("keys in play: %s and %s", MASSIVE_KEY, FMP_KEY)

    assert MASSIVE_KEY not in console_log.getvalue()
    assert FMP_KEY not in console_log.getvalue()
    assert "keys in play: [REDACTED] and [REDACTED]" in console_log.getvalue()


@pytest.mark.parametrize(
    "leaky",
    [
        "GET https://financialmodelingprep.com/stable/earnings?symbol=AAPL&apikey=other-secret-1",
        "GET https://api.massive.com/v2/aggs?apiKey=other-secret-1&limit=5",
        "headers: {'Authorization': 'Bearer other-secret-1'}",
        "Authorization: Bearer other-secret-1",
    ],
    ids=["apikey", "apiKey", "header-dict", "header-line"],
)
def test_credentials_in_urls_and_headers_are_redacted(console_log: io.StringIO, leaky: str):
    logger.warning("request failed: %s", leaky)

    assert "other-secret-1" not in console_log.getvalue()
    assert "[REDACTED]" in console_log.getvalue()


def test_a_key_in_an_exception_traceback_is_redacted(console_log: io.StringIO):
    try:
        raise ConnectionError(f"failed: /stable/earnings?symbol=AAPL&apikey={FMP_KEY}")
    except ConnectionError:
        logger.exception("FMP call failed")

    assert "Traceback" in console_log.getvalue()
    assert FMP_KEY not in console_log.getvalue()


def test_a_key_in_a_json_traceback_is_redacted(json_console_log: io.StringIO):
    try:
        raise ConnectionError(f"failed: /stable/earnings?symbol=AAPL&apikey={FMP_KEY}")
    except ConnectionError:
        logger.exception("FMP call failed")

    (line,) = _json_lines(json_console_log)
    assert "ConnectionError" in line["exc_info"]
    assert FMP_KEY not in json_console_log.getvalue()


def test_a_key_in_an_extra_field_is_redacted(json_console_log: io.StringIO):
    upstream.info("call", extra={"provider": "fmp", "url": f"https://fmp/stable/earnings?apikey={FMP_KEY}"})

    assert FMP_KEY not in json_console_log.getvalue()


def test_ordinary_lines_are_left_alone(console_log: io.StringIO):
    logger.info("fetched %d bars for %s (apikey is configured)", 250, "AAPL")

    assert "fetched 250 bars for AAPL (apikey is configured)" in console_log.getvalue()


def test_a_malformed_log_call_still_logs_without_the_key(console_log: io.StringIO):
    logger.warning("two placeholders %s %s", MASSIVE_KEY)

    assert "two placeholders" in console_log.getvalue()
    assert MASSIVE_KEY not in console_log.getvalue()
