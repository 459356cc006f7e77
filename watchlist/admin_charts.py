"""The ticker pages' charts: a price chart with indicators, levels and events, an IV panel, and
the options-chain board.

`TickerChartsAdmin` gives the Ticker admin its change page template, which loads the charts'
static files (the vendored lightweight-charts, `ticker_chart.js`, `charts.css`) on that page
only, and hands it `marketdata.services.ticker_chart_get`'s data: stored history and the cache
only, so the page never waits on a provider. Its chain page (`<pk>/chain/`) is
`marketdata.services.chain_board.chain_board_get`'s board of one expiration, also from the cache.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from core.errors import MojoError
from marketdata.services.chain_board import chain_board_get
from marketdata.services.charts import ticker_chart_get
from watchlist import selectors
from watchlist.models import Ticker

DEFAULT_RANGE = "1Y"


class TickerChartsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/watchlist/ticker/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        chain = path(
            "<int:pk>/chain/", self.admin_site.admin_view(self.chain_view), name="watchlist_ticker_chain"
        )
        return [chain, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        ticker = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if ticker is not None:
            chart = ticker_chart_get(ticker.symbol)
            band = chart["iv"]["range_52w"]
            context.update(
                ticker_chart=chart,
                default_range=DEFAULT_RANGE,
                chain_url=reverse("admin:watchlist_ticker_chain", args=[ticker.pk]),
                iv_range_text=f"{100 * band['low']:.1f}–{100 * band['high']:.1f} %" if band else "",
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def chain_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """One expiration of the cached chain (`?expiration=YYYY-MM-DD`, else the default one).

        A malformed date is a 400 and a date the chain does not list a 404, each showing the
        chain's expirations to pick from instead.
        """
        ticker = get_object_or_404(Ticker, pk=pk)
        if not self.has_view_permission(request, ticker):
            raise PermissionDenied
        asked = request.GET.get("expiration")
        status, problem, expiration = 200, "", None
        if asked:
            try:
                expiration = date.fromisoformat(asked)
            except ValueError:
                status, problem = 400, f"“{asked}” is not a date: give the expiration as YYYY-MM-DD."
        shares = selectors.shares_held(request.user, ticker.symbol)
        try:
            board = chain_board_get(ticker.symbol, expiration=expiration, shares_held=shares)
        except MojoError as error:
            status, problem = error.status_code or 500, error.message
            board = chain_board_get(ticker.symbol, expiration=None, shares_held=shares)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{ticker.symbol} options chain",
            "opts": self.model._meta,
            "original": ticker,
            "board": board,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/watchlist/ticker/chain.html", context, status=status)
