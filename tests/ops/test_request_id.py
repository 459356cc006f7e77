"""X-Request-ID: generated or echoed (when safe), and on the log lines of the request."""

from __future__ import annotations

import io
import re

import pytest

from devtools.localredis import LocalRedis

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_response_carries_a_generated_request_id(client):
    response = client.get("/no-such-page")

    assert GENERATED.match(response["X-Request-ID"])


def test_a_safe_caller_request_id_is_echoed(client):
    response = client.get("/no-such-page", HTTP_X_REQUEST_ID="lb-7f3a.trace_01")

    assert response["X-Request-ID"] == "lb-7f3a.trace_01"


@pytest.mark.parametrize(
    "unsafe",
    ["two words", "x" * 65, 'forged" level=ERROR', "id%0Anext"],
    ids=["space", "too-long", "quote", "encoded-newline"],
)
def test_an_unsafe_caller_request_id_is_replaced(client, unsafe):
    response = client.get("/no-such-page", HTTP_X_REQUEST_ID=unsafe)

    assert GENERATED.match(response["X-Request-ID"])


@pytest.mark.slow  # stops the suite's redis-server; the next test starts it again
@pytest.mark.django_db
def test_log_lines_written_inside_a_request_carry_its_id(
    client, redis_server: LocalRedis, console_log: io.StringIO
):
    redis_server.stop()  # /healthz logs a warning about it

    client.get("/healthz", HTTP_X_REQUEST_ID="req-inside-42")

    warning = next(line for line in console_log.getvalue().splitlines() if "redis unreachable" in line)
    assert "[req-inside-42]" in warning


def test_django_not_found_line_written_after_the_middleware_carries_the_id(client, console_log: io.StringIO):
    client.get("/no-such-page", HTTP_X_REQUEST_ID="req-after-43")

    line = next(line for line in console_log.getvalue().splitlines() if "Not Found: /no-such-page" in line)
    assert "[req-after-43]" in line


def test_log_lines_outside_a_request_show_a_dash(console_log: io.StringIO):
    import logging

    logging.getLogger("marketdata.ops_test").warning("background work")

    assert "[-] background work" in console_log.getvalue()
