"""A trade: the legs (positions) a user manages together, under one strategy, with its whole history.

A wheel is one trade from the first short put to the shares called away; a roll closes legs and
opens others in the same trade. A trade is open while any leg is; it closes when its last does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from marketdata import clock
from watchlist.models.positions import Strategy


class TradeStrategy(models.TextChoices):
    STOCK = "stock", "Stock"
    CSP = "csp", "Cash-secured put"
    COVERED_CALL = "covered_call", "Covered call"
    WHEEL = "wheel", "Wheel"
    LEAPS = "leaps", "LEAPS"
    PMCC = "pmcc", "Poor man's covered call"
    VERTICAL = "vertical", "Vertical spread"
    OTHER = "other", "Other"


class TradeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


# A one-leg trade's strategy from its leg's: the PMCC's two leg tags are one trade strategy.
LEG_TO_TRADE_STRATEGY: dict[str, str] = {
    Strategy.STOCK: TradeStrategy.STOCK,
    Strategy.LEAPS: TradeStrategy.LEAPS,
    Strategy.CSP: TradeStrategy.CSP,
    Strategy.COVERED_CALL: TradeStrategy.COVERED_CALL,
    Strategy.PMCC_LONG: TradeStrategy.PMCC,
    Strategy.PMCC_SHORT: TradeStrategy.PMCC,
    Strategy.OTHER: TradeStrategy.OTHER,
}


class Trade(models.Model):
    """Legs held together under one strategy; `closed_at` is set when the last leg closes."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trades")
    ticker = models.ForeignKey(
        "watchlist.Ticker", on_delete=models.PROTECT, related_name="trades", help_text="The underlying."
    )
    strategy = models.CharField(max_length=16, choices=TradeStrategy.choices)
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ("-opened_at", "-id")
        indexes = (
            models.Index(fields=("owner", "closed_at"), name="trade_owner_closed"),
            models.Index(fields=("owner", "strategy"), name="trade_owner_strategy"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(strategy__in=TradeStrategy.values),
                name="trade_strategy_valid",
                violation_error_message=f"Strategy is one of: {', '.join(TradeStrategy.values)}.",
                violation_error_code="trade_strategy_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="trade_closed_after_opened",
                violation_error_message="A trade cannot close before it opened.",
                violation_error_code="trade_closed_after_opened",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_strategy_display()} on {self.ticker} ({self.status})"

    @property
    def status(self) -> str:
        """`open` while any leg is open, then `closed`."""
        return TradeStatus.OPEN if self.closed_at is None else TradeStatus.CLOSED
