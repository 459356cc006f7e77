"""Webhooks: what a receiver can rely on (the signature), which URLs mojo refuses, and how a delivery fails.

Deliveries go over real HTTP to a receiver in its own process (`tests.webhook_receiver`);
the URL check's DNS is its `resolve` seam, so no test looks up a name on the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from core.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookDeliveryFailed,
    WebhookUrlInvalid,
    WebhookUrlPrivate,
    WebhookUrlUnresolvable,
    webhook_body,
    webhook_post,
    webhook_signature,
    webhook_signature_valid,
    webhook_url_check,
)
from tests.webhook_receiver import started_receiver

SECRET = "whsec-test-0123456789"
PAYLOAD = {"ticker": "AAPL", "kind": "price_above", "price": 201.5, "note": "über €"}
TIMESTAMP = "1795000000"


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox() -> None:
    """Replace the folder's fixture of this name: webhooks need neither Redis nor the sandbox."""


def _no_dns(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"a literal address was looked up: {args!r}")


def _resolving_to(*addresses: str) -> Any:
    """A getaddrinfo stand-in answering `addresses` for any name, recording what it was asked."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        resolve.asked.append((host, port))  # type: ignore[attr-defined]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.asked = []  # type: ignore[attr-defined]
    return resolve


def _post(url: str, **overrides: Any) -> int:
    """Deliver PAYLOAD to `url` signed now, private addresses allowed, unless `overrides` say otherwise."""
    arguments = {"secret": SECRET, "payload": PAYLOAD, "now": datetime.now(UTC), "allow_private": True}
    return webhook_post(url, **{**arguments, **overrides})


def _failure(url: str, **overrides: Any) -> WebhookDeliveryFailed:
    with pytest.raises(WebhookDeliveryFailed) as caught:
        _post(url, **overrides)
    return caught.value


# The signature: what a receiver recomputes.


def test_the_body_is_compact_json_with_sorted_keys_in_utf8() -> None:
    assert webhook_body({"b": 1, "a": "€"}) == '{"a":"€","b":1}'.encode()


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_under_the_secret() -> None:
    body = webhook_body(PAYLOAD)
    expected = hmac.new(SECRET.encode(), f"{TIMESTAMP}.".encode() + body, hashlib.sha256).hexdigest()

    assert webhook_signature(SECRET, TIMESTAMP, body) == f"sha256={expected}"


def test_a_signature_within_the_tolerance_is_valid() -> None:
    body = webhook_body(PAYLOAD)
    signature = webhook_signature(SECRET, TIMESTAMP, body)

    assert webhook_signature_valid(
        SECRET, timestamp=TIMESTAMP, body=body, signature=signature, now=int(TIMESTAMP) + 299
    )


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("another-secret", webhook_body(PAYLOAD), int(TIMESTAMP)),
        (SECRET, webhook_body({**PAYLOAD, "price": 1}), int(TIMESTAMP)),
        (SECRET, webhook_body(PAYLOAD), int(TIMESTAMP) + 301),
        (SECRET, webhook_body(PAYLOAD), int(TIMESTAMP) - 301),
    ],
    ids=["other-secret", "tampered-body", "too-old", "too-far-ahead"],
)
def test_a_signature_is_invalid_for_another_secret_body_or_a_stale_timestamp(
    secret: str, body: bytes, now: int
) -> None:
    signature = webhook_signature(SECRET, TIMESTAMP, webhook_body(PAYLOAD))

    assert not webhook_signature_valid(secret, timestamp=TIMESTAMP, body=body, signature=signature, now=now)


@pytest.mark.parametrize("timestamp", ["", "1795000000.0", "-1795000000", " 1795000000", "１７９５", "1e9"])
def test_a_timestamp_that_is_not_an_integer_string_is_invalid(timestamp: str) -> None:
    body = webhook_body(PAYLOAD)
    signature = webhook_signature(SECRET, timestamp, body)

    assert not webhook_signature_valid(
        SECRET, timestamp=timestamp, body=body, signature=signature, now=int(TIMESTAMP)
    )


def test_a_garbled_signature_header_is_invalid_rather_than_an_error() -> None:
    body = webhook_body(PAYLOAD)

    assert not webhook_signature_valid(
        SECRET, timestamp=TIMESTAMP, body=body, signature="sha256=ünïcode", now=int(TIMESTAMP)
    )


# The URL check: no request of mojo's reaches its own network. Refused: loopback, private,
# link-local (the metadata service), IPv4-mapped, 6to4 and NAT64 around 10.0.0.1,
# IPv4-compatible, unspecified, carrier-grade NAT, multicast, reserved.
# fmt: off
NOT_PUBLIC = [
    "127.0.0.1", "127.8.9.10:8080", "[::1]", "10.1.2.3", "172.16.0.1", "192.168.1.20", "169.254.169.254",
    "[fc00::1]", "[fe80::1]", "[::ffff:10.0.0.1]", "[::ffff:127.0.0.1]", "[2002:a00:1::]", "[64:ff9b::a00:1]",
    "[::a00:1]", "0.0.0.0", "[::]", "100.64.0.1", "224.0.0.1", "[ff0e::1]", "240.0.0.1",  # noqa: S104 (no bind)
]
# A public IPv4 address, on another port, a public IPv6 one, and NAT64 around the first.
PUBLIC = [
    "93.184.216.34", "93.184.216.34:8443", "[2606:2800:220:1:248:1893:25c8:1946]", "[64:ff9b::5db8:d822]",
]
# fmt: on


@pytest.mark.parametrize("host", NOT_PUBLIC)
def test_a_literal_address_that_is_not_public_is_refused(host: str) -> None:
    with pytest.raises(WebhookUrlPrivate):
        webhook_url_check(f"https://{host}/hook", allow_private=False, resolve=_no_dns)


def test_the_refusal_names_the_host_and_the_address() -> None:
    with pytest.raises(WebhookUrlPrivate) as caught:
        webhook_url_check("https://10.1.2.3/hook", allow_private=False, resolve=_no_dns)

    assert caught.value.details == {"host": "10.1.2.3", "address": "10.1.2.3"}
    assert (caught.value.status_code, caught.value.code) == (400, "webhook_url_private")


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(WebhookUrlPrivate) as caught:
        webhook_url_check(
            "https://hooks.example.com/x", allow_private=False, resolve=_resolving_to("10.0.0.7")
        )

    assert caught.value.details == {"host": "hooks.example.com", "address": "10.0.0.7"}


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    resolve = _resolving_to("93.184.216.34", "2606:2800:220:1::1", "169.254.169.254")

    with pytest.raises(WebhookUrlPrivate) as caught:
        webhook_url_check("https://hooks.example.com/x", allow_private=False, resolve=resolve)

    assert caught.value.details["address"] == "169.254.169.254"


@pytest.mark.parametrize("host", PUBLIC)
def test_a_public_literal_address_is_accepted_without_a_lookup(host: str) -> None:
    webhook_url_check(f"https://{host}/hook", allow_private=False, resolve=_no_dns)


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("https://hooks.example.com/x", 443),
        ("http://hooks.example.com/x", 80),
        ("http://Hooks.Example.com:81", 81),
    ],
)
def test_a_name_is_looked_up_at_the_port_its_scheme_or_url_gives(url: str, port: int) -> None:
    resolve = _resolving_to("93.184.216.34")

    webhook_url_check(url, allow_private=False, resolve=resolve)

    assert resolve.asked == [("hooks.example.com", port)]


def test_allowing_private_addresses_accepts_loopback_and_private_names() -> None:
    webhook_url_check("http://127.0.0.1:8000/hook", allow_private=True, resolve=_no_dns)
    webhook_url_check("http://[::1]:8000/hook", allow_private=True, resolve=_no_dns)
    webhook_url_check("http://receiver.internal/hook", allow_private=True, resolve=_resolving_to("10.0.0.7"))


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_name_that_does_not_resolve_is_refused_even_when_private_addresses_are_allowed(
    allow_private: bool,
) -> None:
    def unresolvable(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(WebhookUrlUnresolvable) as caught:
        webhook_url_check("https://nowhere.invalid/x", allow_private=allow_private, resolve=unresolvable)

    error = caught.value
    assert (error.code, error.details["host"]) == ("webhook_url_unresolvable", "nowhere.invalid")


def test_a_name_with_no_address_is_unresolvable() -> None:
    with pytest.raises(WebhookUrlUnresolvable):
        webhook_url_check("https://empty.example.com/x", allow_private=False, resolve=_resolving_to())


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.216.34/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example.com/x",
        "https://user:password@93.184.216.34/hook",
        "https://user@93.184.216.34/hook",
        "https:///hook",
        "https://93.184.216.34:99999/hook",
        "https://93.184.216.34:0/hook",
        "https://[::1/hook",
        "https://93.184.216.34/ho ok",
        "https://93.184.216.34/hook\n",
        "https://93.184.216.34/" + "a" * 2_000,
    ],
)
def test_a_url_of_the_wrong_shape_is_invalid(url: str) -> None:
    with pytest.raises(WebhookUrlInvalid) as caught:
        webhook_url_check(url, allow_private=True, resolve=_no_dns)

    assert (caught.value.status_code, caught.value.code) == (400, "webhook_url_invalid")


def test_a_url_of_2000_characters_is_long_enough() -> None:
    url = "https://93.184.216.34/"
    webhook_url_check(url + "a" * (2_000 - len(url)), allow_private=False, resolve=_no_dns)


# Delivery, to a receiver in its own process.


@pytest.mark.slow
def test_a_delivery_arrives_with_a_signature_the_receiver_validates(tmp_path) -> None:
    now = datetime.now(UTC)
    with started_receiver(tmp_path, secret=SECRET) as receiver:
        status = webhook_post(receiver.url, secret=SECRET, payload=PAYLOAD, now=now, allow_private=True)
        [received] = receiver.requests()

    headers = {name.lower(): value for name, value in received["headers"].items()}
    assert (status, received["status"], received["path"]) == (200, 200, "/hook")
    assert received["signature_valid"] is True
    assert received["body"].encode() == webhook_body(PAYLOAD)
    assert json.loads(received["body"]) == PAYLOAD
    assert headers[TIMESTAMP_HEADER.lower()] == str(int(now.timestamp()))
    assert (headers["content-type"], headers["user-agent"]) == ("application/json", "mojo-alerts")


@pytest.mark.slow
def test_the_signed_bytes_are_the_bytes_sent(tmp_path) -> None:
    with started_receiver(tmp_path, secret=SECRET) as receiver:
        _post(receiver.url)
        [received] = receiver.requests()

    headers = {name.lower(): value for name, value in received["headers"].items()}
    message = f"{headers[TIMESTAMP_HEADER.lower()]}.{received['body']}".encode()
    expected = "sha256=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected


@pytest.mark.slow
def test_a_delivery_signed_at_a_pinned_time_is_recorded_with_its_skew(tmp_path, pinned_clock) -> None:
    with started_receiver(tmp_path, secret=SECRET) as receiver:
        _post(receiver.url, now=pinned_clock)
        [received] = receiver.requests()

    expected_skew = time.time() - int(pinned_clock.timestamp())
    assert received["signature_valid"] is (abs(expected_skew) <= 300)
    assert received["timestamp_skew"] == pytest.approx(expected_skew, abs=30)


@pytest.mark.slow
def test_server_errors_timeouts_and_throttling_are_retryable_other_client_errors_not(tmp_path) -> None:
    statuses = [500, 503, 408, 429, 404, 400, 410]
    with started_receiver(tmp_path, secret=SECRET, statuses=statuses) as receiver:
        failures = [_failure(receiver.url) for _ in statuses]

    retryable = {failure.status: failure.retryable for failure in failures}
    assert retryable == {500: True, 503: True, 408: True, 429: True, 404: False, 400: False, 410: False}


@pytest.mark.slow
def test_a_failure_quotes_the_status_and_the_start_of_the_answer(tmp_path) -> None:
    with started_receiver(tmp_path, secret=SECRET, statuses=[500]) as receiver:
        failure = _failure(receiver.url)

    assert "HTTP 500" in failure.message and "receiver answered 500" in failure.message
    assert (failure.status_code, failure.code) == (502, "webhook_delivery_failed")


@pytest.mark.slow
def test_a_retry_after_a_server_error_is_delivered(tmp_path) -> None:
    with started_receiver(tmp_path, secret=SECRET, statuses=[500, 200]) as receiver:
        assert _failure(receiver.url).retryable
        status = _post(receiver.url)
        answered = [request["status"] for request in receiver.requests()]

    assert (status, answered) == (200, [500, 200])


@pytest.mark.slow
def test_a_redirect_is_not_followed_and_not_retryable(tmp_path) -> None:
    with started_receiver(tmp_path, secret=SECRET, statuses=[302]) as receiver:
        failure = _failure(receiver.url)
        paths = [request["path"] for request in receiver.requests()]

    assert (failure.status, failure.retryable, failure.details["location"]) == (302, False, "/redirected")
    assert paths == ["/hook"]


@pytest.mark.slow
def test_a_private_receiver_is_refused_without_a_request_when_private_addresses_are_not_allowed(
    tmp_path,
) -> None:
    with started_receiver(tmp_path, secret=SECRET) as receiver:
        failure = _failure(receiver.url, allow_private=False)
        received = receiver.requests()

    assert (failure.retryable, failure.status, failure.details["reason"]) == (
        False,
        None,
        "webhook_url_private",
    )
    assert received == []


def test_a_closed_port_is_a_retryable_failure_without_a_status() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there

    failure = _failure(f"http://127.0.0.1:{port}/hook")

    assert (failure.retryable, failure.status) == (True, None)
    assert "Connection refused" in failure.message


@pytest.fixture
def silent_receiver() -> Iterator[str]:
    """A URL whose server accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"


@pytest.mark.slow  # a listening socket that never answers: a (silent) server
def test_a_receiver_that_never_answers_is_a_retryable_timeout(silent_receiver: str) -> None:
    started = time.monotonic()
    failure = _failure(silent_receiver, timeout=(1.0, 0.2))

    assert (failure.retryable, failure.status, failure.details["error"]) == (True, None, "ReadTimeout")
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_a_given_session_is_used_and_left_open(tmp_path) -> None:
    session = requests.Session()
    session.headers["X-Caller"] = "alerts-worker"
    session.close = lambda: pytest.fail("the caller's session was closed")  # type: ignore[method-assign]
    with started_receiver(tmp_path, secret=SECRET) as receiver:
        _post(receiver.url, session=session)
        [received] = receiver.requests()

    assert received["headers"]["X-Caller"] == "alerts-worker"


def test_a_naive_datetime_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _post("http://127.0.0.1:9/hook", now=datetime(2026, 11, 24, 16, 30))
