"""Sending an alert by one channel: one attempt per call, the task around it retries with backoff.

An attempt holds the delivery's row lock while it sends, so two workers handed the same delivery
(a redelivered task) never both send it; a delivered one is never sent again. E-mail goes
through Django's e-mail backend, the webhook through `core.webhooks` (signed, public addresses
only, no redirects). Failures that may pass (a timeout, a 5xx, a refused SMTP connection) are
retried until ALERT_DELIVERY_ATTEMPTS; the others fail the delivery at once.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core.webhooks import WebhookDeliveryFailed, webhook_post
from watchlist.alerts import retry_waits
from watchlist.models import AlertChannel, AlertDelivery, AlertSettings, DeliveryStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    status: str  # the delivery's status after the attempt
    retry_in: float | None = None  # seconds until the next attempt; None: no further attempt


class _Undeliverable(Exception):
    """A failure another attempt would not mend (a channel switched off, a 404, a refused URL)."""


def alert_delivery_attempt(delivery_id: int, *, now: datetime) -> DeliveryAttempt:
    """Try to send one delivery once; what became of it, and when to try again if it may pass."""
    with transaction.atomic():
        delivery = (
            AlertDelivery.objects.select_for_update()
            .select_related("alert__trade__ticker", "alert__owner")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return DeliveryAttempt(status=delivery.status if delivery else DeliveryStatus.FAILED)
        delivery.attempts += 1
        try:
            _send(delivery, now=now)
        except (_Undeliverable, WebhookDeliveryFailed, smtplib.SMTPException, OSError) as failure:
            return _failed(delivery, failure, now=now)
        delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, now, ""
        delivery.save(update_fields=["status", "delivered_at", "last_error", "attempts", "destination"])
        alert = delivery.alert
        if not alert.deliveries.exclude(status=DeliveryStatus.DELIVERED).exists():
            alert.delivered_at = now
            alert.save(update_fields=["delivered_at"])
    logger.info("alert %s delivered by %s after %d attempt(s)", alert.pk, delivery.channel, delivery.attempts)
    return DeliveryAttempt(status=DeliveryStatus.DELIVERED)


def _failed(delivery: AlertDelivery, failure: Exception, *, now: datetime) -> DeliveryAttempt:
    retryable = not isinstance(failure, _Undeliverable) and getattr(failure, "retryable", True)
    waits = retry_waits()
    delivery.last_error = f"{type(failure).__name__}: {failure}"[:2000]
    if retryable and delivery.attempts <= len(waits):
        delivery.queued_at = now
        delivery.save(update_fields=["attempts", "last_error", "queued_at", "destination"])
        logger.warning("alert delivery %s failed (attempt %d): %s", delivery.pk, delivery.attempts, failure)
        return DeliveryAttempt(status=DeliveryStatus.PENDING, retry_in=waits[delivery.attempts - 1])
    delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["attempts", "last_error", "status", "destination"])
    logger.error(
        "alert delivery %s given up after %d attempt(s): %s", delivery.pk, delivery.attempts, failure
    )
    return DeliveryAttempt(status=DeliveryStatus.FAILED)


def _send(delivery: AlertDelivery, *, now: datetime) -> None:
    alert = delivery.alert
    chosen = AlertSettings.objects.filter(user_id=alert.owner_id).first()
    if delivery.channel == AlertChannel.EMAIL:
        if chosen is None or not chosen.email_enabled or not chosen.email_address:
            raise _Undeliverable("e-mail alerts were switched off after the alert fired")
        delivery.destination = chosen.email_address
        symbol = alert.trade.ticker.symbol
        send_mail(
            subject=f"mojo: {alert.get_code_display()} on {symbol} (trade {alert.trade_id})",
            message=_email_text(delivery),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[delivery.destination],
        )
        return
    if chosen is None or not chosen.webhook_url or not chosen.webhook_secret:
        raise _Undeliverable("the webhook was removed after the alert fired")
    delivery.destination = chosen.webhook_url
    webhook_post(
        chosen.webhook_url,
        secret=chosen.webhook_secret,
        payload=webhook_payload(delivery),
        now=now,
        allow_private=settings.ALERT_WEBHOOK_ALLOW_PRIVATE,
    )


def webhook_payload(delivery: AlertDelivery) -> dict[str, Any]:
    """The webhook's JSON body: the alert, its trade, and the delivery id (to drop a repeat)."""
    alert = delivery.alert
    return {
        "type": "trade_alert",
        "delivery": delivery.pk,
        "alert": {
            "id": alert.pk,
            "code": alert.code,
            "message": alert.message,
            "first_seen": alert.first_seen.isoformat(),
        },
        "trade": {
            "id": alert.trade_id,
            "underlying": alert.trade.ticker.symbol,
            "strategy": alert.trade.strategy,
        },
    }


def _email_text(delivery: AlertDelivery) -> str:
    alert = delivery.alert
    trade = alert.trade
    return (
        f"{alert.message}\n\n"
        f"Trade {trade.pk}: {trade.get_strategy_display()} on {trade.ticker.symbol}.\n"
        f"First seen {alert.first_seen.isoformat()}. API: /api/v1/trades/{trade.pk}/\n"
        "You get one message per alert; dismiss it in mojo once handled.\n"
    )
