"""The ticker page's charts: a price chart with indicators, levels and events, and an IV panel.

`TickerChartsAdmin` gives the Ticker admin its change page template, which loads the charts'
static files (the vendored lightweight-charts, `ticker_chart.js`, `charts.css`) on that page
only, and hands it `marketdata.services.ticker_chart_get`'s data: stored history and the cache
only, so the page never waits on a provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse

from marketdata.services.charts import ticker_chart_get

DEFAULT_RANGE = "1Y"


class TickerChartsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/watchlist/ticker/change_form.html"

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
                # The chain board comes with the next part; until then the chain's API answer.
                chain_url=f"/api/v1/stocks/{ticker.symbol}/options/",
                iv_range_text=f"{100 * band['low']:.1f}–{100 * band['high']:.1f} %" if band else "",
            )
        return super().change_view(request, object_id, form_url, extra_context=context)
