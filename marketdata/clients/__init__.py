"""Provider clients (HTTP only): Massive market data and FMP earnings.

`get_massive_client()` / `get_fmp_client()` return one client per distinct provider
settings, reused across calls so its connection pool is too (tests that change
MASSIVE_BASE_URL per test get a fresh client for each base URL).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from marketdata.clients.fmp import FMPClient
from marketdata.clients.massive import MassiveClient

__all__ = ["Deadline", "FMPClient", "MassiveClient", "get_fmp_client", "get_massive_client"]

# Distinct settings seen in one process are few (one in production); bound it for test runs.
_MAX_CLIENTS = 16
_lock = threading.Lock()
_clients: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

_POLICY_SETTINGS = (
    "PROVIDER_CONNECT_TIMEOUT",
    "PROVIDER_READ_TIMEOUT",
    "PROVIDER_RETRY_ATTEMPTS",
    "PROVIDER_RETRY_WAIT",
    "PROVIDER_RETRY_AFTER_CAP",
)
_MASSIVE_SETTINGS = (
    "MASSIVE_API_KEY",
    "MASSIVE_BASE_URL",
    "MASSIVE_RATE_LIMIT_PER_MINUTE",
    "MASSIVE_RATE_LIMIT_WINDOW",
    "REDIS_URL",
    *_POLICY_SETTINGS,
)
_FMP_SETTINGS = ("FMP_API_KEY", "FMP_BASE_URL", *_POLICY_SETTINGS)


def _cached(kind: str, names: tuple[str, ...], build: Any) -> Any:
    key = (kind, *(getattr(settings, name) for name in names))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = build()
            _clients[key] = client
            while len(_clients) > _MAX_CLIENTS:
                _clients.popitem(last=False)
        else:
            _clients.move_to_end(key)
        return client


def get_massive_client() -> MassiveClient:
    """Return the Massive client for the current settings (one shared instance per settings)."""
    client: MassiveClient = _cached("massive", _MASSIVE_SETTINGS, MassiveClient.from_settings)
    return client


def get_fmp_client() -> FMPClient:
    """Return the FMP client for the current settings (one shared instance per settings)."""
    client: FMPClient = _cached("fmp", _FMP_SETTINGS, FMPClient.from_settings)
    return client
