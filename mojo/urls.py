"""Root URLs: admin, the versioned API, its schema and docs, health and metrics."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.exception_handler import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("watchlist.urls")),
    path("api/v1/", include("marketdata.urls")),
    path("", include("mojo.ops_urls")),
    re_path(r"^api/", api_not_found),
]

handler400 = "core.exception_handler.bad_request"
handler404 = "core.exception_handler.page_not_found"
handler500 = "core.exception_handler.server_error"
