"""Stored market data: one ATM implied volatility per symbol and session (IV history)."""

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
