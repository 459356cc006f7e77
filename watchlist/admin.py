"""Admin for tickers, watchlists and positions: staff see and edit every user's rows.

Forms validate through the models' `full_clean()` (the same rules as the API). Fields that
cannot change after creation are disabled on change forms rather than made admin read-only:
a disabled field stays in the form, so the constraints that mention it are still checked.
Creating a ticker and removing a watchlist item go through the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from watchlist import services
from watchlist.models import IMMUTABLE_FIELDS, Position, PositionStatus, Ticker, WatchlistItem


def _disable_on_change(form: forms.ModelForm[Any], field_names: tuple[str, ...]) -> None:
    if form.instance.pk is None:
        return
    for name in field_names:
        if name in form.fields:
            form.fields[name].disabled = True


class TickerForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _disable_on_change(self, ("symbol",))


@admin.register(Ticker)
class TickerAdmin(admin.ModelAdmin):
    form = TickerForm
    list_display = ("symbol", "name", "created_at")
    search_fields = ("symbol", "name")
    readonly_fields = ("created_at",)

    def save_model(self, request: HttpRequest, obj: Ticker, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # New rows come from the service alone; then the form's name is stored on that row.
        created = services.ticker_get_or_create(symbol=obj.symbol)
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False
        obj.save(update_fields=["name"])


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    list_display = ("ticker", "owner", "added_at")
    list_filter = ("owner",)
    list_select_related = ("ticker", "owner")
    search_fields = ("ticker__symbol", "owner__username")
    autocomplete_fields = ("ticker",)
    readonly_fields = ("added_at",)

    def delete_model(self, request: HttpRequest, obj: WatchlistItem) -> None:
        services.watchlist_remove(user=obj.owner, symbol=obj.ticker.symbol)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WatchlistItem]) -> None:
        for item in queryset.select_related("owner", "ticker"):
            services.watchlist_remove(user=item.owner, symbol=item.ticker.symbol)


class StatusFilter(admin.SimpleListFilter):
    """Open or closed positions."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in PositionStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in PositionStatus.values:
            return queryset.filter(closed_at__isnull=self.value() == PositionStatus.OPEN)
        return queryset


class PositionForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _disable_on_change(self, IMMUTABLE_FIELDS)


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    form = PositionForm
    list_display = (
        "__str__",
        "owner",
        "ticker",
        "instrument",
        "option_ticker",
        "quantity",
        "entry_price",
        "strategy",
        "opened_at",
        "status_display",
    )
    list_filter = ("owner", "strategy", "instrument", StatusFilter)
    list_select_related = ("ticker", "owner")
    search_fields = ("ticker__symbol", "option_ticker", "owner__username", "notes")
    autocomplete_fields = ("ticker",)
    date_hierarchy = "opened_at"
    readonly_fields = ("contract_type", "strike", "expiration", "status_display")
    fieldsets = (
        (None, {"fields": ("owner", "ticker", "instrument", "option_ticker", "strategy")}),
        ("Contract (from the option ticker)", {"fields": ("contract_type", "strike", "expiration")}),
        ("Size and prices", {"fields": ("quantity", "multiplier", "entry_price", "opened_at")}),
        ("Closing", {"fields": ("closed_at", "exit_price", "status_display")}),
        (None, {"fields": ("notes",)}),
    )

    @admin.display(description="status", ordering="closed_at")
    def status_display(self, obj: Position) -> str:
        return obj.status
