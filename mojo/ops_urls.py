"""Operations endpoints at the root: /healthz (load balancers) and /metrics (Prometheus)."""

from __future__ import annotations

from django.urls import path

from mojo import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", health.metrics, name="metrics"),
]
