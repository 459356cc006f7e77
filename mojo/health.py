"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus.

/healthz answers 200 while mojo can serve ("ok", or "degraded" when Redis is down: the cache
fails open), and 503 only when the database is unreachable. It reports the provider
configuration (key present or not, base URL, sandbox or not), never a key, and under
`details.entitlements` the provider endpoints mojo's plan was found to lack (mojo falls back).

/metrics serves django-prometheus' request metrics and mojo's own (marketdata.metrics),
aggregated over every gunicorn worker when PROMETHEUS_MULTIPROC_DIR is set. It needs no
session; METRICS_ALLOWED_IPS and METRICS_BEARER_TOKEN restrict it. Production settings
close it by default (loopback only when neither is set); local and test settings leave it open.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from redis.backoff import NoBackoff
from redis.retry import Retry

import marketdata.metrics  # noqa: F401 - registers mojo's metrics with the default registry
from core.checks import is_http_url, is_loopback_url
from core.exception_handler import error_body
from marketdata.entitlements import entitlements_lacking
from marketdata.services import cycles

logger = logging.getLogger(__name__)

# (provider name, base URL setting, key setting)
PROVIDERS = (("massive", "MASSIVE_BASE_URL", "MASSIVE_API_KEY"), ("fmp", "FMP_BASE_URL", "FMP_API_KEY"))


def database_status() -> str:
    """Return "up" when the default database answers a trivial query, else "down"."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("healthz: database unreachable: %s", error)
        return "down"
    return "up"


def redis_status() -> str:
    """Return "up", "down" or "not_configured" (no REDIS_URL: a per-process cache)."""
    url = settings.REDIS_URL
    if not url:
        return "not_configured"
    timeout = settings.HEALTHZ_REDIS_TIMEOUT
    # A dedicated connection without retries, so a dead Redis costs one short timeout.
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        logger.warning("healthz: redis unreachable: %s", error)
        return "down"
    finally:
        client.close()
    return "up"


def _public_url(url: object) -> str | None:
    """Return scheme://host[:port]/path of an http(s) URL (no credentials, no query)."""
    if not isinstance(url, str) or not is_http_url(url):
        return None
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def provider_configuration() -> dict[str, dict[str, Any]]:
    """Describe each provider's configuration: base URL, key present, sandbox or not."""
    described: dict[str, dict[str, Any]] = {}
    for name, url_setting, key_setting in PROVIDERS:
        url = getattr(settings, url_setting, "")
        described[name] = {
            "base_url": _public_url(url),
            "key_configured": bool(getattr(settings, key_setting, "")),
            "sandbox": isinstance(url, str) and is_loopback_url(url),
        }
    return described


def refresh_status(*, database_up: bool, cache_up: bool) -> dict[str, Any]:
    """The last finished refresh cycle and the Celery workers alive (from their heartbeat keys)."""
    last = cycles.refresh_cycle_last_finished() if database_up else None
    return {
        "last_cycle": None
        if last is None
        else {
            "id": last.pk,
            "status": last.status,
            "mode": last.mode,
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
        },
        "workers": cycles.workers_alive() if cache_up else [],
    }


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, Redis and provider configuration; 503 only without a database."""
    database = database_status()
    cache = redis_status()
    if database == "down":
        status, http_status = "down", 503
    elif cache == "down":
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    body = {
        "status": status,
        "database": database,
        "redis": cache,
        "providers": provider_configuration(),
        "details": {
            # Endpoints the provider's plan lacks: mojo falls back, and says so here.
            "entitlements": entitlements_lacking() if cache != "down" else {},
            "refresh": refresh_status(database_up=database == "up", cache_up=cache != "down"),
        },
    }
    return JsonResponse(body, status=http_status)


def _address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [client]
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        candidates.append(client.ipv4_mapped)
    for entry in allowed:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            continue  # a malformed entry admits nobody (the system check reports it)
        if any(candidate in network for candidate in candidates):
            return True
    return False


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def metrics_access_allowed(request: HttpRequest) -> bool:
    """Return True when the request passes every configured restriction (none = open).

    Production never leaves both unset: its default address list is loopback.

    The address is REMOTE_ADDR, the peer gunicorn sees: behind a proxy, list the proxy or
    use the bearer token (X-Forwarded-For is not trusted, anyone can send it).
    """
    allowed_ips: list[str] = settings.METRICS_ALLOWED_IPS
    token: str = settings.METRICS_BEARER_TOKEN
    if allowed_ips and not _address_allowed(request.META.get("REMOTE_ADDR", ""), allowed_ips):
        return False
    return not token or _bearer_matches(request.headers.get("Authorization", ""), token)


def metrics_registry() -> CollectorRegistry:
    """Return the registry to expose: every worker's files in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Serve the Prometheus text exposition, or 403 JSON to a client not allowed."""
    if not metrics_access_allowed(request):
        return JsonResponse(error_body("forbidden", "This client may not read the metrics."), status=403)
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
