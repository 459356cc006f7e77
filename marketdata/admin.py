"""Admin for stored market data: the IV history behind IV rank, read-mostly.

Snapshots are written by the refresh (observed) and by `make demo` (seeded, `is_demo`);
staff browse and filter them, and may delete rows (e.g. demo data), but never add or edit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from marketdata.models import IVSnapshot


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
