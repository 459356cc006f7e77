"""API shapes of alerts, of a trade's signals, and of a user's alert channels."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from watchlist.models import (
    WEBHOOK_URL_MAX_LENGTH,
    Alert,
    AlertChannel,
    AlertCode,
    AlertDelivery,
    AlertSettings,
    DeliveryStatus,
)


class TradeSignalSerializer(serializers.Serializer):
    """A management signal firing on a trade now (`marketdata.trade_rules`)."""

    code = serializers.ChoiceField(choices=AlertCode.choices)
    message = serializers.CharField()
    since = serializers.DateTimeField(
        allow_null=True,
        help_text="When a refresh cycle first saw it fire (its alert's first_seen); null until one has.",
    )


class AlertDeliverySerializer(serializers.ModelSerializer[AlertDelivery]):
    channel = serializers.ChoiceField(choices=AlertChannel.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)

    class Meta:
        model = AlertDelivery
        fields = ("channel", "destination", "status", "attempts", "delivered_at", "last_error")
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """An alert: a signal's firing on a trade, how it was delivered, and whether it is dismissed."""

    underlying = serializers.CharField(source="trade.ticker.symbol", read_only=True)
    code = serializers.ChoiceField(choices=AlertCode.choices, read_only=True)
    active = serializers.BooleanField(read_only=True, help_text="The signal still fired at the last cycle.")
    dismissed = serializers.BooleanField(read_only=True)
    deliveries = AlertDeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = (
            "id", "trade", "underlying", "code", "message", "first_seen", "active", "cleared_at",
            "delivered_at", "dismissed", "dismissed_at", "deliveries",
        )  # fmt: skip
        read_only_fields = fields


class AlertFilterSerializer(serializers.Serializer):
    """Query parameters of GET /alerts/."""

    dismissed = serializers.BooleanField(required=False, allow_null=True, default=None)
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: the signal still fires."
    )


class AlertSettingsSerializer(serializers.ModelSerializer[AlertSettings]):
    """A user's alert channels as shown: the webhook secret only by the call that made it."""

    # Plain strings, not `email` / `uri` formats: "" (none given) is a valid answer.
    email = serializers.CharField(read_only=True, help_text="Empty: the account's address.")
    email_address = serializers.CharField(
        read_only=True, help_text='Where e-mail goes: `email`, else the account\'s address ("": none).'
    )
    webhook_url = serializers.CharField(read_only=True, help_text="Empty: no webhook.")
    webhook_secret = serializers.SerializerMethodField(
        help_text="Shown once, by the call that made it (setting a first URL, or rotating); null after."
    )
    webhook_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = AlertSettings
        fields = (
            "email_enabled", "email", "email_address", "webhook_url", "webhook_secret",
            "webhook_secret_set", "webhook_secret_created_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_webhook_secret(self, chosen: AlertSettings) -> str | None:
        new_secret: str | None = self.context.get("new_secret")
        return new_secret

    def get_webhook_secret_set(self, chosen: AlertSettings) -> bool:
        return bool(chosen.webhook_secret)


class AlertSettingsUpdateSerializer(serializers.Serializer):
    """PUT /alert-settings/: every channel at once."""

    email_enabled = serializers.BooleanField()
    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="Empty: the account's address."
    )
    webhook_url = serializers.URLField(
        allow_blank=True,
        max_length=WEBHOOK_URL_MAX_LENGTH,
        help_text="http(s) URL resolving to public addresses only; empty: no webhook.",
    )
    rotate_webhook_secret = serializers.BooleanField(
        required=False, default=False, help_text="Make a new secret (shown once in the answer)."
    )

    def service_kwargs(self) -> dict[str, Any]:
        """The validated body as `alert_settings_save`'s keyword arguments."""
        return dict(self.validated_data)
