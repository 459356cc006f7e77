"""Stored market data: IV history and daily history (sessions, and where each symbol's stands)."""

from __future__ import annotations

from django.db import models


class IVSnapshot(models.Model):
    """The ATM IV of a symbol on one NYSE session; IV rank/percentile come from these."""

    ticker = models.CharField(max_length=8, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    session_date = models.DateField(help_text="The latest completed NYSE session at refresh time.")
    atm_iv = models.FloatField(help_text="Annualised fraction (0.35 = 35 %).")
    is_demo = models.BooleanField(default=False, help_text="Seeded by `make demo`, not observed.")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "IV snapshot"
        ordering = ["ticker", "-session_date"]
        constraints = [
            models.UniqueConstraint(fields=["ticker", "session_date"], name="ivsnapshot_unique_per_session"),
            models.CheckConstraint(condition=models.Q(atm_iv__gt=0), name="ivsnapshot_atm_iv_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ticker} {self.session_date}: ATM IV {self.atm_iv:.1%}"


class SessionBar(models.Model):
    """One completed, split-adjusted NYSE session of a symbol: the stored daily history.

    Keyed by the New York session date, never by a provider's raw timestamp (grouped daily's
    `t` is the end of its window, per-symbol aggs' the start). Fetched once in full per symbol,
    then extended by the sessions it misses (`marketdata.history_plan`).
    """

    symbol = models.CharField(max_length=8, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    session = models.DateField(help_text="The America/New_York session date.")
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField()
    vwap = models.FloatField(null=True, blank=True)
    transactions = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["symbol", "session"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "session"], name="sessionbar_unique_per_session"),
            models.CheckConstraint(
                condition=models.Q(low__lte=models.F("high")), name="sessionbar_low_not_above_high"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.session}: close {self.close}"


class SymbolHistory(models.Model):
    """Where a symbol's stored history stands: which sessions were asked for, which splits it reflects.

    `checked_through` lets an illiquid symbol (no bar on some sessions) count as up to date
    without asking again; None means nothing usable is stored (a first fetch, or a split made
    the stored sessions wrong) and the next sync fetches the full history.
    """

    symbol = models.CharField(max_length=8, unique=True, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    checked_through = models.DateField(
        null=True, blank=True, help_text="The latest completed session the provider was asked for."
    )
    splits_through = models.DateField(
        help_text="The stored sessions reflect every split executed on or before this date."
    )
    fetched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the full history was last fetched."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "symbol history"
        verbose_name_plural = "symbol histories"
        ordering = ["symbol"]

    def __str__(self) -> str:
        return f"{self.symbol}: checked through {self.checked_through or 'nothing yet'}"
