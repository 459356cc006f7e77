"""Alerts: a trade-management signal the refresh saw fire, delivered once by the owner's channels.

An alert is one firing of one signal code on one trade: created the first cycle the code fires,
cleared the first cycle it no longer does (or once the trade has closed). While it is uncleared
the same code never alerts again for that trade (a partial unique constraint says so to the
database too); a code that clears and fires again is a new alert. Each alert has one delivery
per channel the owner had switched on when it fired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketdata import clock

# The longest webhook URL mojo keeps (browsers and proxies commonly stop near 2,000).
WEBHOOK_URL_MAX_LENGTH = 2000


class AlertCode(models.TextChoices):
    """The codes of `marketdata.trade_rules.SIGNAL_CODES`, in their order (a test holds them equal)."""

    TAKE_PROFIT = "take_profit", "Take profit"
    DTE_EXIT = "dte_exit", "21 DTE exit"
    TESTED = "tested", "Short strike tested"
    EARNINGS_BEFORE_EXPIRY = "earnings_before_expiry", "Earnings before expiry"
    EARLY_ASSIGNMENT_RISK = "early_assignment_risk", "Early assignment risk"
    EXPIRING_ITM = "expiring_itm", "Expiring in the money"


class AlertChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Alert(models.Model):
    """One firing of a signal on a trade, from the first cycle that saw it until it cleared."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts")
    trade = models.ForeignKey("watchlist.Trade", on_delete=models.CASCADE, related_name="alerts")
    code = models.CharField(max_length=32, choices=AlertCode.choices)
    message = models.TextField(help_text="The signal's message when it first fired.")
    first_seen = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(
        null=True, blank=True, help_text="The first cycle the signal no longer fired (or the trade closed)."
    )
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last of its deliveries succeeded."
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-first_seen", "-id")
        indexes = (models.Index(fields=("owner", "dismissed_at"), name="alert_owner_dismissed"),)
        constraints = (
            models.UniqueConstraint(
                fields=("trade", "code"),
                condition=Q(cleared_at__isnull=True),
                name="alert_one_active_per_trade_code",
                violation_error_message="This signal already has an active alert on this trade.",
            ),
            models.CheckConstraint(
                condition=Q(code__in=AlertCode.values),
                name="alert_code_valid",
                violation_error_message=f"Code is one of: {', '.join(AlertCode.values)}.",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_code_display()} on trade {self.trade_id}"

    @property
    def active(self) -> bool:
        """Whether the signal still fired at the last cycle."""
        return self.cleared_at is None

    @property
    def dismissed(self) -> bool:
        return self.dismissed_at is not None


class AlertDelivery(models.Model):
    """An alert sent by one channel: retried with backoff until delivered or out of attempts."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=AlertChannel.choices)
    destination = models.CharField(
        max_length=WEBHOOK_URL_MAX_LENGTH, help_text="The address or URL when the alert fired."
    )
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last handed to the workers; empty: not yet."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("alert", "channel")
        constraints = (
            models.UniqueConstraint(fields=("alert", "channel"), name="alert_delivery_one_per_channel"),
        )

    def __str__(self) -> str:
        return f"{self.get_channel_display()} of alert {self.alert_id}: {self.status}"


class AlertSettings(models.Model):
    """A user's alert channels: e-mail (their account's address unless another is given) and a webhook.

    The webhook secret signs every POST; the API and the admin show it once, when made.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_settings"
    )
    email_enabled = models.BooleanField(default=False)
    email = models.EmailField(blank=True, help_text="Empty: the account's e-mail address.")
    webhook_url = models.URLField(
        max_length=WEBHOOK_URL_MAX_LENGTH, blank=True, help_text="Empty: no webhook. Public addresses only."
    )
    webhook_secret = models.CharField(max_length=128, blank=True, editable=False)
    webhook_secret_created_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "alert settings"
        verbose_name_plural = "alert settings"

    def __str__(self) -> str:
        return f"Alert settings of {self.user}"

    @property
    def email_address(self) -> str:
        """Where e-mail goes: the address given here, else the account's ("" when neither)."""
        return self.email or self.user.email
