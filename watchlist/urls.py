"""Watchlist, position, trade, alert and token API URLs (mounted under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from watchlist import alert_views, trade_views, views

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="auth-token"),
    path("watchlist/", views.WatchlistView.as_view(), name="watchlist"),
    # `str` matches anything but "/", so class shares (BRK.B) work; the service validates the symbol.
    path("watchlist/<str:symbol>/", views.WatchlistItemView.as_view(), name="watchlist-item"),
    path("positions/", views.PositionListView.as_view(), name="positions"),
    path("positions/<int:pk>/", views.PositionDetailView.as_view(), name="position-detail"),
    path("trades/", trade_views.TradeListView.as_view(), name="trades"),
    path("trades/<int:pk>/", trade_views.TradeDetailView.as_view(), name="trade-detail"),
    path("trades/<int:pk>/roll/", trade_views.TradeRollView.as_view(), name="trade-roll"),
    path("trades/<int:pk>/assign/", trade_views.TradeAssignView.as_view(), name="trade-assign"),
    path("trades/<int:pk>/close/", trade_views.TradeCloseView.as_view(), name="trade-close"),
    path("alerts/", alert_views.AlertListView.as_view(), name="alerts"),
    path("alerts/<int:pk>/dismiss/", alert_views.AlertDismissView.as_view(), name="alert-dismiss"),
    path("alert-settings/", alert_views.AlertSettingsView.as_view(), name="alert-settings"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
]
