"""Market-data API URLs under /api/v1/."""

from __future__ import annotations

from django.urls import path

from marketdata import views

urlpatterns = [
    path("stocks/<str:symbol>/", views.StockView.as_view(), name="stock"),
    path("stocks/<str:symbol>/bars/", views.StockBarsView.as_view(), name="stock-bars"),
    path("stocks/<str:symbol>/options/", views.StockOptionsView.as_view(), name="stock-options"),
    path("stocks/<str:symbol>/signals/", views.StockSignalsView.as_view(), name="stock-signals"),
    path("stocks/<str:symbol>/earnings/", views.StockEarningsView.as_view(), name="stock-earnings"),
    path("options/<str:option_ticker>/", views.OptionQuoteView.as_view(), name="option-quote"),
    path("tickers/validate/", views.ValidateTickerView.as_view(), name="ticker-validate"),
]
