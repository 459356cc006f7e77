"""Root URLs: admin, the versioned API, its schema and docs, health and metrics, the favicon."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.exception_handler import api_not_found
from watchlist.admin_dashboard import dashboard_view

FAVICON = "watchlist/favicon.svg"  # also linked from every admin page (mojo/templates/admin/base_site.html)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Send a browser's /favicon.ico (asked by pages that link no icon) to mojo's icon."""
    return HttpResponseRedirect(static(FAVICON))


# mojo's name on every admin page; "View site" opens the API's docs (mojo has no other site).
admin.site.site_header = admin.site.site_title = "mojo"
admin.site.site_url = "/api/docs/"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/dashboard/", dashboard_view, name="admin-dashboard"),  # before the admin's own URLs
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
