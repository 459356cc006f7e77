"""Operations endpoints (health, metrics); filled in by the operations work."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
