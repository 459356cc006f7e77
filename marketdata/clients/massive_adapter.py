"""The official `massive` RESTClient, extended at its seams so mojo's policy sees every answer.

Left alone, the library hides what the retry policy needs: with ``retries=0`` a 429 becomes
urllib3's ``MaxRetryError`` (its Retry-After lost), any other non-200 becomes ``BadResponse``
without a status, and invalid JSON becomes ``[]``. `MassiveRESTClient` keeps the library's
URL building, parameter encoding, models (``from_dict``) and urllib3 pool, and overrides the
two seams every request goes through:

- ``_get``: one HTTP request per attempt, run by the shared retry policy
  (`marketdata.clients.retry`) after the shared throttle, whose slot the attempt holds until
  its answer is back; the status, headers and body are seen here once and mapped to mojo's
  errors (403 "not entitled" → NotEntitled, other 401/403 → ProviderAuthError, 404 →
  TickerNotFound, invalid JSON → MalformedResponse);
- ``_paginate_iter``: follows ``next_url`` page by page (each page its own ``_get``, so
  each page is retried, throttled and counted on its own).

Records the library's ``from_dict`` cannot build come back as `MalformedRecord` instead of
failing the whole response; the typed client decides what to do with them. What a call is
(endpoint, symbol, deadline) travels in a context variable set by `scope()`, because the
library's public methods have no parameter for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import orjson
import urllib3
from massive import RESTClient
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from core.deadline import Deadline
from marketdata.clients.retry import (
    Call,
    RetryPolicy,
    Timeouts,
    TransportError,
    UpstreamResponse,
    send_with_retry,
)
from marketdata.clients.throttle import UpstreamThrottle
from marketdata.exceptions import MalformedResponse, NotEntitled, ProviderAuthError, TickerNotFound

logger = logging.getLogger("marketdata.upstream")

PROVIDER = "massive"


@dataclass(frozen=True, slots=True)
class RequestScope:
    """What the requests made inside `MassiveRESTClient.scope()` are for."""

    call: Call
    deadline: Deadline | None


@dataclass(frozen=True, slots=True)
class MalformedRecord:
    """A record the library's model could not be built from (kept for naming and counting)."""

    raw: Any
    error: str


_scope: ContextVar[RequestScope | None] = ContextVar("massive_request_scope", default=None)


class MassiveRESTClient(RESTClient):
    """`massive.RESTClient` with mojo's retry policy, throttle, budgets and typed errors."""

    def __init__(
        self,
        *,
        api_key: str,
        base: str,
        policy: RetryPolicy,
        throttle: UpstreamThrottle | None = None,
        maxsize: int = 10,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base=base.rstrip("/"),
            connect_timeout=policy.connect_timeout,
            read_timeout=policy.read_timeout,
            retries=0,  # the policy retries; urllib3 must hand back every status as it came
            pagination=True,
            maxsize=maxsize,
        )
        self.policy = policy
        self.throttle = throttle

    @contextmanager
    def scope(self, endpoint: str, symbol: str, deadline: Deadline | None) -> Iterator[RequestScope]:
        """Label the requests made inside the block and give them `deadline`.

        Consume lazy results (pagination generators) inside the block.
        """
        current = RequestScope(Call(PROVIDER, endpoint, symbol), deadline)
        token = _scope.set(current)
        try:
            yield current
        finally:
            _scope.reset(token)

    # --- the seams -----------------------------------------------------------------------

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        result_key: str | None = None,
        deserializer: Callable[[Any], Any] | None = None,
        raw: bool = False,
        options: Any = None,
    ) -> Any:
        """Fetch one resource under the policy; deserialize records one by one.

        ``raw=True`` returns the `UpstreamResponse` (status 2xx) instead of models.
        """
        response = self._request(path, params, options)
        if raw:
            return response
        decoded = self._decode_body(response)
        if not result_key:
            return decoded
        if result_key not in decoded:
            return []
        obj = decoded[result_key]
        if deserializer is None:
            return obj
        if isinstance(obj, list):
            return [build_record(deserializer, item) for item in obj]
        return build_record(deserializer, obj)

    def _paginate_iter(
        self,
        path: str,
        params: dict[str, Any],
        deserializer: Callable[[Any], Any],
        result_key: str = "results",
        options: Any = None,
    ) -> Iterator[Any]:
        """Yield every record of every page, following ``next_url`` as the library does."""
        seen: set[str] = set()
        while True:
            decoded = self._decode_body(self._request(path, params, options))
            results = decoded.get(result_key)
            if results is None:
                return
            if not isinstance(results, list):
                raise self._malformed(f"'{result_key}' is not a list")
            for item in results:
                yield build_record(deserializer, item)
            next_url = decoded.get("next_url")
            if not self.pagination or not next_url:
                return
            if not isinstance(next_url, str):
                raise self._malformed("'next_url' is not a string")
            # Like the library: keep the path and query, put our own base in front.
            parsed = urlparse(next_url)
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path in seen:
                raise self._malformed("pagination loops back to a page already read")
            seen.add(path)
            params = {}

    # --- one request ---------------------------------------------------------------------

    def _request(self, path: str, params: dict[str, Any] | None, options: Any) -> UpstreamResponse:
        """Send GET BASE+path under the policy; return a 2xx response or raise a mojo error."""
        scope = _scope.get() or RequestScope(Call(PROVIDER, "other", "-"), None)
        url = self.BASE + path
        headers = self._concat_headers(options.headers if options is not None else None)

        def send(timeouts: Timeouts) -> UpstreamResponse:
            try:
                resp = self.client.request(
                    "GET",
                    url,
                    fields=params,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=timeouts.connect, read=timeouts.read),
                    retries=False,  # raise connection errors as they are; return every status
                )
            except NewConnectionError as exc:  # a ConnectTimeoutError subclass, but not a timeout
                raise TransportError(f"connection failed: {exc}") from None
            except Urllib3TimeoutError as exc:
                raise TransportError(f"timed out: {exc}", timeout=True) from None
            except (HTTPError, OSError) as exc:
                raise TransportError(f"{type(exc).__name__}: {exc}") from None
            return UpstreamResponse(resp.status, dict(resp.headers.items()), resp.data)

        throttle = self.throttle

        def attempt(timeouts: Timeouts) -> UpstreamResponse:
            try:
                return send(timeouts)
            finally:
                if throttle is not None:
                    throttle.answered()  # its slot ages from now: it covers the request's arrival

        response = send_with_retry(
            attempt,
            call=scope.call,
            policy=self.policy,
            deadline=scope.deadline,
            before_attempt=throttle.acquire if throttle is not None else None,
            on_retry_after=throttle.pause if throttle is not None else None,  # pauses every worker
        )
        if 200 <= response.status < 300:
            return response
        if response.status == 403 and not_entitled(response.body):
            raise NotEntitled(
                f"mojo's Massive plan does not include {scope.call.endpoint}.",
                details={"endpoint": scope.call.endpoint},
            )
        if response.status in (401, 403):
            raise ProviderAuthError(f"Massive rejected mojo's API key (HTTP {response.status}).")
        if response.status == 404:
            raise TickerNotFound(f"Massive does not know {scope.call.symbol}.")
        raise self._malformed(f"unexpected HTTP {response.status}")

    def _decode_body(self, response: UpstreamResponse) -> dict[str, Any]:
        """Return the JSON object of a 2xx body, or raise MalformedResponse."""
        try:
            # orjson: chain pages are large and decoding them is most of a refresh's CPU.
            decoded = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise self._malformed("the body is not JSON") from None
        if not isinstance(decoded, dict):
            raise self._malformed("the body is not a JSON object")
        return decoded

    @staticmethod
    def _malformed(why: str) -> MalformedResponse:
        scope = _scope.get()
        call = scope.call if scope is not None else Call(PROVIDER, "other", "-")
        logger.warning(
            "%s %s %s: unreadable response (%s)",
            call.provider,
            call.endpoint,
            call.symbol,
            why,
            extra={"provider": call.provider, "endpoint": call.endpoint, "symbol": call.symbol},
        )
        return MalformedResponse(f"Massive sent a response mojo cannot read ({why}).")


def not_entitled(body: bytes) -> bool:
    """Whether a 403 body is the provider's "plan lacks this endpoint" answer.

    Only `{"status": "NOT_AUTHORIZED", "message": "You are not entitled to this data. …"}`
    is: a 403 about the timeframe ("today's data before end of day") or the key is not.
    """
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(decoded, dict) or decoded.get("status") != "NOT_AUTHORIZED":
        return False
    message = decoded.get("message")
    return isinstance(message, str) and "not entitled" in message.lower()


def build_record(deserializer: Callable[[Any], Any], item: Any) -> Any:
    """Return the library model for one record, or a `MalformedRecord` when it cannot be built.

    A JSON null sub-object is treated as absent (the library's models expect a dict or nothing).
    """
    if isinstance(item, dict):
        item = {key: value for key, value in item.items() if value is not None}
    try:
        return deserializer(item)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return MalformedRecord(raw=item, error=f"{type(exc).__name__}: {exc}")
