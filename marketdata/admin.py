"""Admin for stored market data: the IV history behind IV rank and the daily history, read-mostly.

Snapshots are written by the refresh (observed) and by `make demo` (seeded, `is_demo`);
staff browse and filter them, and may delete rows (e.g. demo data), but never add or edit.
Daily history is written by the refresh only: staff see how far each symbol's stands and
may have a symbol's history fetched again in full (the next refresh or read does it).
Reference data (ticker details, dividends) is written by validation and the refresh; staff
browse it. A deleted details row is fetched again by the next refresh.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from marketdata import services
from marketdata.models import Dividend, IVSnapshot, RefreshCycle, SessionBar, SymbolDetails, SymbolHistory


@admin.register(IVSnapshot)
class IVSnapshotAdmin(admin.ModelAdmin):
    list_display = ("ticker", "session_date", "atm_iv_percent", "is_demo", "recorded_at")
    list_filter = ("ticker", "is_demo")
    search_fields = ("ticker",)
    date_hierarchy = "session_date"
    ordering = ("ticker", "-session_date")
    readonly_fields = ("ticker", "session_date", "atm_iv", "atm_iv_percent", "is_demo", "recorded_at")

    @admin.display(description="ATM IV", ordering="atm_iv")
    def atm_iv_percent(self, obj: IVSnapshot) -> str:
        return f"{obj.atm_iv:.1%}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ViewOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SymbolHistory)
class SymbolHistoryAdmin(_ViewOnly):
    list_display = ("symbol", "sessions", "first_session", "checked_through", "splits_through", "fetched_at")
    search_fields = ("symbol",)
    ordering = ("symbol",)
    actions = ["fetch_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SymbolHistory]:
        bars = SessionBar.objects.filter(symbol=OuterRef("symbol")).values("symbol")
        return (
            super()
            .get_queryset(request)
            .annotate(
                stored=Subquery(bars.annotate(n=Count("id")).values("n")),
                first=Subquery(bars.annotate(d=Min("session")).values("d")),
            )
        )

    @admin.display(description="Sessions stored", ordering="stored")
    def sessions(self, obj: Any) -> int:
        return obj.stored or 0

    @admin.display(description="First session", ordering="first")
    def first_session(self, obj: Any) -> Any:
        return obj.first

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting the row would lose which splits the sessions reflect

    @admin.action(description="Fetch the selected symbols' history again, in full")
    def fetch_again(self, request: HttpRequest, queryset: QuerySet[SymbolHistory]) -> None:
        symbols = list(queryset.values_list("symbol", flat=True))
        deleted = sum(services.history_forget(symbol) for symbol in symbols)
        self.message_user(
            request,
            f"{', '.join(symbols)}: {deleted} stored sessions deleted; the next refresh fetches them again.",
            messages.SUCCESS,
        )


@admin.register(SessionBar)
class SessionBarAdmin(_ViewOnly):
    list_display = ("symbol", "session", "open", "high", "low", "close", "volume")
    list_filter = ("symbol",)
    search_fields = ("symbol",)
    date_hierarchy = "session"
    ordering = ("symbol", "-session")
    show_full_result_count = False  # a count of every stored session is a slow query on PostgreSQL


@admin.register(SymbolDetails)
class SymbolDetailsAdmin(_ViewOnly):
    list_display = ("symbol", "name", "type", "active", "primary_exchange", "fetched_at")
    list_filter = ("type", "active", "primary_exchange")
    search_fields = ("symbol", "name")
    ordering = ("symbol",)


@admin.register(Dividend)
class DividendAdmin(_ViewOnly):
    list_display = ("symbol", "ex_dividend_date", "cash_amount", "pay_date", "frequency", "dividend_type")
    list_filter = ("dividend_type", "frequency")
    search_fields = ("symbol",)
    date_hierarchy = "ex_dividend_date"
    ordering = ("symbol", "-ex_dividend_date")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a past dividend is never asked for again: deleting it would lose it


@admin.register(RefreshCycle)
class RefreshCycleAdmin(_ViewOnly):
    list_display = (
        "id",
        "status",
        "mode",
        "created_at",
        "started_at",
        "duration",
        "symbols_ok",
        "symbols_failed",
        "calls",
    )
    list_filter = ("status", "mode")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    @admin.display(description="duration")
    def duration(self, obj: RefreshCycle) -> str:
        seconds = obj.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f} s"

    @admin.display(description="upstream calls")
    def calls(self, obj: RefreshCycle) -> int:
        return sum(obj.upstream_calls.values())
