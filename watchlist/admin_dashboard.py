"""The admin's Dashboard page: the staff member's own `GET /api/v1/dashboard/`, as a page.

One service, `watchlist.dashboard.dashboard_for`, under the request's deadline as the API calls
it, so the page shows the API's numbers as they are (already rounded by
`marketdata.presentation`). The view only arranges them for the template: the columns of the
signal counts, each watched symbol's ticker page, the strategies' names. Staff only
(`admin.site.admin_view`); routed at /admin/dashboard/ by `mojo.urls`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.deadline import Deadline
from marketdata.strategies import STRATEGIES
from watchlist import dashboard, selectors
from watchlist.models import AlertCode, TradeStrategy

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TEMPLATE = "admin/watchlist/dashboard.html"
# Column heads of the signal counts (the strategies' full names are their titles).
SIGNAL_HEADS = {"csp": "CSP", "covered_call": "CC", "leaps": "LEAPS", "pmcc": "PMCC"}


def _dashboard(request: HttpRequest) -> HttpResponse:
    """Render the user's dashboard, fetched as the API fetches it."""
    user = cast("User", request.user)
    found = dashboard.dashboard_for(user, deadline=Deadline.for_request())
    items = {item.ticker.symbol: item for item in selectors.watchlist_for(user)}  # ticker pages, names
    by_strategy = found["portfolio"]["by_strategy"]
    strategy_names, codes = dict(TradeStrategy.choices), dict(AlertCode.choices)
    counted = [name for row in found["watchlist"] for name in row["signal_counts"] or {}]
    signals = [
        (name, SIGNAL_HEADS.get(name, name), strategy_names.get(name, name))
        for name in dict.fromkeys([*STRATEGIES, *counted])  # the strategies, then any other counted
    ]
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "dashboard": found,
        "as_of": datetime.fromisoformat(found["as_of"]),
        "signals": signals,
        "rows": [
            {
                "row": row,
                "item": items.get(row["symbol"]),
                "signal_counts": [(name, (row["signal_counts"] or {}).get(name)) for name, _, _ in signals],
            }
            for row in found["watchlist"]
        ],
        "strategies": [
            (name, strategy_names.get(name, name), summary) for name, summary in by_strategy.items()
        ],
        "open_trades": sum(summary["open_trades"] for summary in by_strategy.values()),
        "alerts": [
            (alert, codes.get(alert["code"], alert["code"]), datetime.fromisoformat(alert["first_seen"]))
            for alert in found["alerts"]
        ],
    }
    return TemplateResponse(request, TEMPLATE, context)


dashboard_view = admin.site.admin_view(_dashboard)
