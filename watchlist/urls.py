"""Watchlist, position and token API URLs (mounted under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from watchlist import views

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth-token"),
    path("watchlist/", views.WatchlistView.as_view(), name="watchlist"),
    # `str` matches anything but "/", so class shares (BRK.B) work; the service validates the symbol.
    path("watchlist/<str:symbol>/", views.WatchlistItemView.as_view(), name="watchlist-item"),
    path("positions/", views.PositionListView.as_view(), name="positions"),
    path("positions/<int:pk>/", views.PositionDetailView.as_view(), name="position-detail"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
]
