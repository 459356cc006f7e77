"""The trade admin: each trade's payoff diagram, figures, valued legs, signals and alerts, and
roll / assign / close.

The actions are pages of their own (a form each, `admin_trade_forms`) that call the trade
services, so the admin keeps every rule the API keeps; a broken rule is shown on the form and
nothing is written. Trades are opened through the API, or as one-leg trades by adding a position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from watchlist import trades
from watchlist.admin_trade_forms import TradeAssignForm, TradeCloseForm, TradeRollForm
from watchlist.models import Trade, TradeStatus
from watchlist.trade_page import trade_page_get

FIGURES_SHOWN = (
    ("net_premium", "Net premium"),
    ("cost_basis_per_share", "Cost basis per share"),
    ("max_profit", "Max profit"),
    ("max_loss", "Max loss"),
    ("realised_pnl", "Realised P&L"),
    ("unrealised_pnl", "Unrealised P&L"),
    ("pct_of_max_profit", "% of max profit"),
    ("pop", "POP %"),
)


class TradeStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in TradeStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in TradeStatus.values:
            return queryset.filter(closed_at__isnull=self.value() == TradeStatus.OPEN)
        return queryset


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/watchlist/trade/change_form.html"
    # Compact for 1,400 px beside the filters: the closing time and the legs are on the change page.
    list_display = ("ticker", "strategy", "status_display", "owner", "opened_at")
    list_filter = ("strategy", TradeStatusFilter, "owner")
    list_select_related = ("ticker", "owner")
    search_fields = ("ticker__symbol", "owner__username", "notes")
    date_hierarchy = "opened_at"
    fields = ("owner", "ticker", "strategy", "opened_at", "closed_at", "notes")
    # The figures, payoff, valued legs, signals and alerts are the page's own sections
    # (change_form.html), from one read: `watchlist.trade_page.trade_page_get`.
    readonly_fields = ("owner", "ticker", "strategy", "opened_at", "closed_at")

    class Media:
        css = {"all": ("watchlist/admin_lists.css",)}  # compact changelist cells, as the position list

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened through the API, or as a position's one-leg trade

    @admin.display(description="status", ordering="closed_at")
    def status_display(self, obj: Trade) -> str:
        return obj.status

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        trade = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if trade is not None:
            page = trade_page_get(trade)
            figures = page["figures"]
            context.update(
                trade_page=page,
                figures_shown=[(label, figures[name]) for name, label in FIGURES_SHOWN]  # type: ignore[literal-required]
                if figures is not None
                else [],
                alerts_url=f"{reverse('admin:watchlist_alert_changelist')}?trade__id__exact={trade.pk}",
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/roll/", self.admin_site.admin_view(self.roll_view), name="watchlist_trade_roll"),
            path(
                "<int:pk>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name="watchlist_trade_assign",
            ),
            path(
                "<int:pk>/close/", self.admin_site.admin_view(self.close_view), name="watchlist_trade_close"
            ),
        ]
        return own + super().get_urls()

    def roll_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._action(
            request, pk, "Roll", TradeRollForm,
            lambda trade, form: trades.trade_roll(trade=trade, close=form.closing(), open=form.opening()),
        )  # fmt: skip

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._action(
            request, pk, "Assign or exercise", TradeAssignForm,
            lambda trade, form: trades.trade_assign(trade=trade, leg_id=form.cleaned_data["leg"]),
        )  # fmt: skip

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._action(
            request, pk, "Close", TradeCloseForm,
            lambda trade, form: trades.trade_close(trade=trade, exit_prices=form.exit_prices()),
        )  # fmt: skip

    def _action(
        self,
        request: HttpRequest,
        pk: int,
        title: str,
        form_class: type[Any],
        act: Callable[[Trade, Any], Trade],
    ) -> HttpResponse:
        """Show the action's form; on a valid POST call the service and go back to the trade."""
        trade = get_object_or_404(Trade.objects.select_related("ticker", "owner"), pk=pk)
        if not self.has_change_permission(request, trade):
            raise PermissionDenied
        form: Form = form_class(request.POST or None, trade=trade)
        if request.method == "POST" and form.is_valid():
            try:
                act(trade, form)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                self.message_user(request, f"{title}: done.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:watchlist_trade_change", args=[trade.pk]))
        context = {**self.admin_site.each_context(request), "title": title, "trade": trade, "form": form}
        return TemplateResponse(request, "admin/watchlist/trade/action.html", context)
