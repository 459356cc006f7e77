"""The alert admin: alerts read-only with their deliveries, a dismiss action, and users' channels.

Alerts are made by the refresh (`watchlist.alerts`), never by hand. A user's channels are saved
through `alert_settings.alert_settings_save`, so the admin refuses what the API refuses (a
private webhook address, e-mail without an address) and shows a new webhook secret once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from core.errors import MojoError
from marketdata import clock
from watchlist import alert_settings, alerts
from watchlist.models import WEBHOOK_URL_MAX_LENGTH, Alert, AlertDelivery, AlertSettings


class _DateSetFilter(admin.SimpleListFilter):
    """Two choices on whether a date field is set: `unset` (its label) and `set`."""

    field: str
    unset: tuple[str, str]
    set: tuple[str, str]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [self.unset, self.set]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in (self.unset[0], self.set[0]):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == self.unset[0]})
        return queryset


class ActiveFilter(_DateSetFilter):
    title, parameter_name, field = "signal", "active", "cleared_at"
    unset, set = ("yes", "Still firing"), ("no", "Cleared")


class DismissedFilter(_DateSetFilter):
    title, parameter_name, field = "dismissed", "dismissed", "dismissed_at"
    unset, set = ("no", "Open"), ("yes", "Dismissed")


class DeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AlertDelivery
    extra = 0
    can_delete = False
    fields = ("channel", "destination", "status", "attempts", "queued_at", "delivered_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "first_seen",
        "code",
        "trade_link",
        "owner",
        "active_display",
        "delivered_at",
        "dismissed_at",
    )
    list_filter = ("code", ActiveFilter, DismissedFilter, "owner")
    list_select_related = ("trade__ticker", "owner")
    search_fields = ("trade__ticker__symbol", "owner__username", "message")
    date_hierarchy = "first_seen"
    fields = (
        "owner",
        "trade_link",
        "code",
        "message",
        "first_seen",
        "cleared_at",
        "delivered_at",
        "dismissed_at",
    )
    readonly_fields = fields
    inlines = (DeliveryInline,)
    actions = ("dismiss",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the refresh makes alerts

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The trade page links its alerts as ?trade__id__exact=<id>.
        return lookup == "trade__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="trade", ordering="trade")
    def trade_link(self, obj: Alert) -> str:
        url = reverse("admin:watchlist_trade_change", args=[obj.trade_id])
        return format_html('<a href="{}">{}</a>', url, obj.trade)

    @admin.display(description="firing", boolean=True, ordering="cleared_at")
    def active_display(self, obj: Alert) -> bool:
        return obj.active

    @admin.action(description="Dismiss the selected alerts")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        now = clock.now()
        found = list(queryset)
        for alert in found:
            alerts.alert_dismiss(alert=alert, now=now)
        self.message_user(request, f"{len(found)} alert(s) dismissed.", messages.SUCCESS)


class AlertSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    """The channels, checked as the API checks them, so a refusal shows on its field."""

    webhook_url = forms.URLField(
        required=False,
        max_length=WEBHOOK_URL_MAX_LENGTH,
        assume_scheme="https",  # Django 6's default; a typed host without a scheme is https
        help_text="Empty: no webhook. Public addresses only.",
    )
    rotate_webhook_secret = forms.BooleanField(
        required=False, help_text="Make a new webhook secret (shown once, after saving)."
    )

    class Meta:
        model = AlertSettings
        fields = ("user", "email_enabled", "email", "webhook_url")

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        url = (data.get("webhook_url") or "").strip()
        if url:
            try:
                alert_settings.webhook_url_validate(url)
            except MojoError as error:
                self.add_error("webhook_url", error.message)
        user = data.get("user") or getattr(self.instance, "user", None)
        if user is not None:
            problems = alert_settings.alert_settings_problems(
                user=user,
                email_enabled=bool(data.get("email_enabled")),
                email=data.get("email") or "",
                webhook_url=url,
                rotate_webhook_secret=bool(data.get("rotate_webhook_secret")),
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return data


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = AlertSettingsForm
    list_display = ("user", "email_enabled", "email_address", "webhook_url", "secret_set")
    list_select_related = ("user",)
    search_fields = ("user__username", "email", "webhook_url")
    readonly_fields = ("webhook_secret_created_at",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "webhook_secret_created_at") if obj is not None else ("webhook_secret_created_at",)

    @admin.display(description="webhook secret", boolean=True)
    def secret_set(self, obj: AlertSettings) -> bool:
        return bool(obj.webhook_secret)

    def save_model(self, request: HttpRequest, obj: AlertSettings, form: Any, change: bool) -> None:
        """Through the service: the API's checks, and a new secret shown here once."""
        data = form.cleaned_data
        saved = alert_settings.alert_settings_save(
            user=obj.user,
            email_enabled=data["email_enabled"],
            email=data.get("email") or "",
            webhook_url=data.get("webhook_url") or "",
            rotate_webhook_secret=data.get("rotate_webhook_secret", False),
            now=clock.now(),
        )
        obj.pk, obj.webhook_secret = saved.settings.pk, saved.settings.webhook_secret
        if saved.new_secret:
            self.message_user(
                request,
                f"Webhook secret (shown only now; copy it to the receiver): {saved.new_secret}",
                messages.WARNING,
            )
