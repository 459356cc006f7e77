"""Alerts from the trade-management signals: evaluated after every refresh cycle, dismissed by users.

`alerts_evaluate` runs when a cycle finishes (the workers' finishing step and the inline
command, through `marketdata.signals.refresh_cycle_finished`): it reads every open trade's
signals from what the cycle cached, opens an alert the first time a code fires on a trade (one
delivery per channel its owner has on), and clears the alerts whose code no longer fires or
whose trade has closed. It returns the deliveries to hand to the workers; sending is theirs
(`watchlist.alert_delivery`), so a slow or failing channel never holds a cycle up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q

from marketdata.trade_rules import TradeSignal
from watchlist import trade_analysis
from watchlist.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertSettings,
    DeliveryStatus,
    Position,
    Trade,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# Open trades assessed per cache read: bounded memory however many trades there are.
EVALUATION_BATCH = 500


def alerts_evaluate(*, now: datetime) -> list[int]:
    """Open and clear alerts from every open trade's signals; the ids of deliveries to send now.

    Those are the new alerts' deliveries and any pending one the workers never got (the
    broker was down when it was handed over) or lost (longer than the longest retry wait).
    """
    created: list[int] = []
    trades = (
        Trade.objects.filter(closed_at__isnull=True)
        .select_related("ticker", "owner__alert_settings")
        .prefetch_related(Prefetch("legs", queryset=Position.objects.select_related("ticker")))
        .order_by("pk")
    )
    batch: list[Trade] = []
    for trade in trades.iterator(chunk_size=EVALUATION_BATCH):
        batch.append(trade)
        if len(batch) == EVALUATION_BATCH:
            created += _evaluate_batch(batch, now=now)
            batch = []
    if batch:
        created += _evaluate_batch(batch, now=now)
    # A trade that closed since the last cycle: its signals no longer apply.
    Alert.objects.filter(cleared_at__isnull=True, trade__closed_at__isnull=False).update(cleared_at=now)
    return [*created, *deliveries_stranded(now=now, excluding=created)]


def _evaluate_batch(trades: Sequence[Trade], *, now: datetime) -> list[int]:
    assessed = trade_analysis.trades_assessed(trades, fetch_missing=False)
    signals = assessed.signals
    active: dict[int, dict[str, Alert]] = {}
    for alert in Alert.objects.filter(trade__in=trades, cleared_at__isnull=True):
        active.setdefault(alert.trade_id, {})[alert.code] = alert
    deliveries: list[int] = []
    for trade in trades:
        fired = {signal.code: signal for signal in signals.get(trade.pk, [])}
        was = active.get(trade.pk, {})
        # A trade read in part (a quote missing from the cache) keeps its alerts: a rule that
        # could not look did not see its signal stop, and clearing would alert again later.
        readable = trade.pk in assessed.fully_read
        cleared = [alert.pk for code, alert in was.items() if code not in fired and readable]
        if cleared:
            Alert.objects.filter(pk__in=cleared).update(cleared_at=now)
        for code, signal in fired.items():
            if code not in was:
                deliveries += _alert_open(trade, signal, now=now)
    return deliveries


def _alert_open(trade: Trade, signal: TradeSignal, *, now: datetime) -> list[int]:
    """A new alert with a delivery per channel the owner has on; [] when another cycle opened it first."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                owner_id=trade.owner_id, trade=trade, code=signal.code, message=signal.message, first_seen=now
            )
            channels = _channels(trade.owner)
            made = AlertDelivery.objects.bulk_create(
                [AlertDelivery(alert=alert, channel=channel, destination=to) for channel, to in channels]
            )
    except IntegrityError:  # the partial unique constraint: it is already active
        return []
    logger.info("alert %s on trade %s: %s", signal.code, trade.pk, signal.message)
    return [delivery.pk for delivery in made]


def _channels(owner: User) -> list[tuple[str, str]]:
    """(channel, destination) of each channel the owner has switched on."""
    try:
        chosen: AlertSettings = owner.alert_settings  # type: ignore[attr-defined]
    except AlertSettings.DoesNotExist:
        return []
    channels: list[tuple[str, str]] = []
    if chosen.email_enabled and chosen.email_address:
        channels.append((AlertChannel.EMAIL, chosen.email_address))
    if chosen.webhook_url:
        channels.append((AlertChannel.WEBHOOK, chosen.webhook_url))
    return channels


def retry_waits() -> list[float]:
    """The waits between a delivery's attempts: doubling from ALERT_DELIVERY_RETRY_WAIT, to the cap."""
    first, cap = settings.ALERT_DELIVERY_RETRY_WAIT, settings.ALERT_DELIVERY_RETRY_WAIT_CAP
    return [min(first * 2**attempt, cap) for attempt in range(max(settings.ALERT_DELIVERY_ATTEMPTS - 1, 0))]


def deliveries_stranded(*, now: datetime, excluding: Iterable[int] = ()) -> list[int]:
    """Pending deliveries no worker holds: never handed over, or silent for longer than any wait."""
    lost_after = timedelta(seconds=max(retry_waits(), default=0.0) + 600)
    return list(
        AlertDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - lost_after))
        .exclude(pk__in=list(excluding))
        .values_list("pk", flat=True)
    )


def deliveries_queued(delivery_ids: Sequence[int], *, now: datetime) -> None:
    """Record that these deliveries were handed to the workers."""
    AlertDelivery.objects.filter(pk__in=list(delivery_ids)).update(queued_at=now)


# --- What users do -----------------------------------------------------------------------------
def alert_dismiss(*, alert: Alert, now: datetime) -> Alert:
    """Dismiss an alert (dismissing it again keeps the first time)."""
    if alert.dismissed_at is None:
        alert.dismissed_at = now
        alert.save(update_fields=["dismissed_at"])
    return alert


def signal_since(trades: Sequence[Trade]) -> dict[tuple[int, str], datetime]:
    """When each active alert of these trades first fired, by (trade id, code): a signal's `since`."""
    return {
        (trade_id, code): first_seen
        for trade_id, code, first_seen in Alert.objects.filter(
            trade__in=list(trades), cleared_at__isnull=True
        ).values_list("trade_id", "code", "first_seen")
    }
