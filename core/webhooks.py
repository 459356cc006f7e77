"""Webhooks over HTTP: the signed JSON body, the check of a user's URL, and one delivery POST.

Mojo POSTs trade alerts to a URL its user gave it. The receiver proves the body came from
mojo with `X-Mojo-Signature`: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under
the user's secret, the timestamp (Unix seconds) travelling in `X-Mojo-Timestamp`; a receiver
rejects a stale timestamp so a captured request cannot be replayed later
(`webhook_signature_valid` is what a receiver does).

A user's URL is a request mojo's servers make on the user's behalf, so `webhook_url_check`
refuses any host that resolves to an address that is not globally routable: loopback, the
private ranges, link-local (169.254.169.254 is a cloud's metadata service), multicast,
reserved, and IPv6 forms that embed such an IPv4 address. `webhook_post` checks again before
each delivery, since DNS may have changed since the URL was saved. What remains open: the
check resolves the name, then requests resolves it again to connect, so a DNS server that
answers a public address first and a private one a moment later (DNS rebinding) gets
through that window. Closing it means connecting to the checked address itself (or an
egress proxy that enforces the same rule), which requests offers no plain way to do.
Redirects are never followed: requests would follow a 3xx to any Location without this
check, so a public URL could send mojo on to a private one; a 3xx is a failed delivery that
no retry will fix.

HTTP only: no ORM, no cache; the callers decide when to retry (`WebhookDeliveryFailed.retryable`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import socket
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from core.errors import MojoError

TIMESTAMP_HEADER = "X-Mojo-Timestamp"
SIGNATURE_HEADER = "X-Mojo-Signature"
USER_AGENT = "mojo-alerts"
MAX_URL_LENGTH = 2_000
DEFAULT_PORTS = {"http": 80, "https": 443}
# How much of a failed answer's body the error quotes (and reads: a receiver's error page
# can be any size, and nothing past the quote is used).
QUOTED_BODY_CHARS = 200
_READ_BODY_BYTES = 4 * QUOTED_BODY_CHARS
# Unix seconds as digits only; 15 digits is far past any real clock, and bounds int().
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
# The well-known NAT64 prefix (RFC 6052): on an IPv6-only host with DNS64 every IPv4 name
# resolves into it, so the IPv4 address it embeds is the one that decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Statuses that may succeed when asked again a little later (besides every 5xx).
_RETRYABLE_STATUSES = frozenset({408, 429})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlInvalid(MojoError):
    status_code = 400
    code = "webhook_url_invalid"
    default_message = "The webhook URL must be an http(s) URL with a host and no user name or password."


class WebhookUrlUnresolvable(MojoError):
    status_code = 400
    code = "webhook_url_unresolvable"
    default_message = "The webhook URL's host name does not resolve."


class WebhookUrlPrivate(MojoError):
    status_code = 400
    code = "webhook_url_private"
    default_message = "The webhook URL's host is not a public address."


class WebhookDeliveryFailed(MojoError):
    """A delivery that did not get a 2xx; `retryable` says whether asking again may help.

    `status` is the HTTP status when the receiver answered, None when it never did. The
    defaults let `error_for_code` rebuild one from its code alone.
    """

    status_code = 502
    code = "webhook_delivery_failed"
    default_message = "The webhook could not be delivered."

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool = False,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            details={"retryable": retryable, "status": status, **(details or {})},
            retry_after=retry_after,
        )
        self.retryable = retryable
        self.status = status


def webhook_body(payload: Mapping[str, Any]) -> bytes:
    """Return `payload` as compact UTF-8 JSON with sorted keys: the exact bytes that are signed.

    NaN and infinities raise ValueError: they are not JSON, and a receiver's parser may refuse them.
    """
    return json.dumps(
        payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Return ``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` keyed with `secret`."""
    message = timestamp.encode("utf-8") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_signature_valid(
    secret: str, *, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300.0
) -> bool:
    """Whether a received body is signed with `secret` at a timestamp within `tolerance` s of `now`."""
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).encode("ascii")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header can hold anything.
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def webhook_url_check(
    url: str, *, allow_private: bool, resolve: Callable[..., Any] = socket.getaddrinfo
) -> None:
    """Raise unless `url` is an http(s) URL whose host resolves to public addresses only.

    `resolve` is called as ``getaddrinfo(host, port, type=socket.SOCK_STREAM)`` (it is the DNS
    seam for tests); a literal IP host is not looked up. With `allow_private` (local settings,
    tests) any address is accepted, but the host must still resolve.
    """
    host, port = _host_and_port(url)
    addresses = _resolved_addresses(host, port, resolve)
    if allow_private:
        return
    for address in addresses:
        if not _is_public(address):
            raise WebhookUrlPrivate(details={"host": host, "address": str(address)})


def webhook_post(
    url: str,
    *,
    secret: str,
    payload: Mapping[str, Any],
    now: datetime,
    allow_private: bool,
    timeout: tuple[float, float] = (3.0, 10.0),
    session: requests.Session | None = None,
) -> int:
    """POST `payload`, signed at `now`, to `url`; return the 2xx status or raise WebhookDeliveryFailed.

    `timeout` is (connect, read) seconds. Redirects are not followed (see the module docstring).
    """
    if now.utcoffset() is None:
        raise ValueError("webhook_post() needs a timezone-aware datetime")
    try:
        webhook_url_check(url, allow_private=allow_private)
    except (WebhookUrlInvalid, WebhookUrlUnresolvable, WebhookUrlPrivate) as error:
        raise WebhookDeliveryFailed(
            f"The webhook URL was refused: {error.message}",
            retryable=False,
            details={"reason": error.code, **error.details},
        ) from error
    host = _host_and_port(url)[0]
    body = webhook_body(payload)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
    }
    http = session if session is not None else requests.Session()
    try:
        # stream=True: only the start of a failed answer's body is ever read (see _body_start).
        with http.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            return _delivered_status(response, host)
    except requests.RequestException as error:
        raise _unreachable(error, host) from error
    finally:
        if session is None:
            http.close()


def _host_and_port(url: str) -> tuple[str, int]:
    """The host (lowercase, IPv6 without brackets) and port of a well-formed webhook URL."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlInvalid(
            f"The webhook URL is longer than {MAX_URL_LENGTH:,} characters.",
            details={"reason": "too_long", "max_length": MAX_URL_LENGTH},
        )
    # urlsplit quietly drops some whitespace and control characters; a URL with any is a typo.
    if any(char.isspace() or not char.isprintable() for char in url):
        raise WebhookUrlInvalid(details={"reason": "whitespace_or_control_character"})
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as error:  # a bad port or an unclosed "[" of an IPv6 host
        raise WebhookUrlInvalid(details={"reason": "malformed", "error": str(error)}) from error
    if scheme not in DEFAULT_PORTS:
        raise WebhookUrlInvalid(details={"reason": "scheme", "scheme": scheme})
    if "@" in parts.netloc:
        # A user name or password would travel to the receiver in every request (and in logs).
        raise WebhookUrlInvalid(details={"reason": "userinfo"})
    if not host:
        raise WebhookUrlInvalid(details={"reason": "no_host"})
    if port == 0:
        raise WebhookUrlInvalid(details={"reason": "port", "host": host})
    return host, port if port is not None else DEFAULT_PORTS[scheme]


def _resolved_addresses(host: str, port: int, resolve: Callable[..., Any]) -> list[Address]:
    """Every address `host` stands for: itself when it is an IP literal, else what DNS answers."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:  # gaierror is an OSError; a bad IDNA label a UnicodeError
        raise WebhookUrlUnresolvable(details={"host": host, "error": str(error)}) from error
    addresses = [
        ipaddress.ip_address(sockaddr[0])
        for family, _type, _proto, _canonname, sockaddr in answers
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise WebhookUrlUnresolvable(details={"host": host})
    return addresses


def _is_public(address: Address) -> bool:
    """Whether `address` is globally routable unicast, judging an embedded IPv4 address by itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address in _NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    # Reserved, after the unwrapping: IPv6 outside 2000::/3 (e.g. the deprecated "::10.0.0.1"),
    # which some Python versions still call global.
    return address.is_global and not address.is_multicast and not address.is_reserved


def _delivered_status(response: requests.Response, host: str) -> int:
    """Return a 2xx status; raise WebhookDeliveryFailed for any other answer."""
    status = response.status_code
    if 200 <= status < 300:
        return status
    quoted = _body_start(response)
    details: dict[str, Any] = {"host": host, "body": quoted}
    if 300 <= status < 400:
        details["location"] = response.headers.get("Location", "")[:QUOTED_BODY_CHARS]
        message = f"The webhook at {host} answered HTTP {status}, a redirect (not followed): {quoted!r}"
    else:
        message = f"The webhook at {host} answered HTTP {status}: {quoted!r}"
    raise WebhookDeliveryFailed(
        message,
        retryable=status >= 500 or status in _RETRYABLE_STATUSES,
        status=status,
        details=details,
        retry_after=_retry_after(response),
    )


def _body_start(response: requests.Response) -> str:
    """The first QUOTED_BODY_CHARS characters of a response body (empty when it cannot be read)."""
    try:
        start = next(response.iter_content(_READ_BODY_BYTES), b"")
    except requests.RequestException:
        return ""
    return start.decode(response.encoding or "utf-8", errors="replace")[:QUOTED_BODY_CHARS]


def _retry_after(response: requests.Response) -> float | None:
    """A Retry-After given in seconds, else None (an HTTP-date is left to the caller's backoff)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isascii() and value.isdigit() else None


def _unreachable(error: requests.RequestException, host: str) -> WebhookDeliveryFailed:
    """The failure for a request that got no HTTP answer: retryable unless retrying cannot help.

    The message names the host and the cause, never the URL: its path or query may hold the
    user's own token.
    """
    cause = _root_cause(error)
    # A refused certificate does not fix itself within a retry's backoff; an invalid URL never.
    retryable = isinstance(error, requests.ConnectionError | requests.Timeout) and not isinstance(
        error, requests.exceptions.SSLError
    )
    kind = type(error).__name__
    return WebhookDeliveryFailed(
        f"The webhook at {host} could not be reached ({kind}: {cause}).",
        retryable=retryable,
        details={"host": host, "error": kind, "cause": cause},
    )


def _root_cause(error: BaseException) -> str:
    """The innermost cause's text, e.g. "[Errno 111] Connection refused", without urllib3's wrappers."""
    seen: set[int] = set()
    current: BaseException = error
    while id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "reason", None)  # urllib3's MaxRetryError keeps it here
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in current.args if isinstance(arg, BaseException)), None)
        if inner is None:
            break
        current = inner
    text = str(getattr(current, "strerror", None) or current)
    return text[:QUOTED_BODY_CHARS]
