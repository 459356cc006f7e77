"""Stored market data: IV history, daily history, and reference data (ticker details, dividends)."""

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


class SymbolDetails(models.Model):
    """What the provider says a symbol is (ticker details): its name, type code and listing.

    Fetched once per symbol, when it is first validated or by the next refresh; a symbol
    with no row has not been asked yet (or the plan lacks ticker details).
    """

    symbol = models.CharField(max_length=8, unique=True, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    name = models.CharField(max_length=200, blank=True, help_text="The provider's name of the security.")
    type = models.CharField(
        max_length=16, blank=True, help_text="The provider's type code: CS, ETF, ADRC, FUND…"
    )
    active = models.BooleanField(default=True, help_text="Whether the symbol is listed and trades.")
    primary_exchange = models.CharField(max_length=16, blank=True, help_text="ISO 10383 MIC, e.g. XNAS.")
    fetched_at = models.DateTimeField(help_text="When the provider was asked.")

    class Meta:
        verbose_name = "symbol details"
        verbose_name_plural = "symbol details"
        ordering = ["symbol"]

    def __str__(self) -> str:
        return f"{self.symbol}: {self.name or 'unnamed'} ({self.type or 'no type'})"


class Dividend(models.Model):
    """A declared cash dividend of a symbol, by its ex-dividend date.

    Upcoming rows (ex-date today or later) are replaced by each check of the symbol, so a
    cancelled declaration disappears; past rows are kept.
    """

    symbol = models.CharField(max_length=8, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    ex_dividend_date = models.DateField(help_text="The first session the stock trades without the dividend.")
    cash_amount = models.FloatField(help_text="Per share, in the listing's currency.")
    declaration_date = models.DateField(null=True, blank=True)
    record_date = models.DateField(null=True, blank=True)
    pay_date = models.DateField(null=True, blank=True)
    frequency = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Payments a year: 0 one-time, 1, 2, 4 or 12."
    )
    dividend_type = models.CharField(
        max_length=8, help_text="CD regular, SC special, LT/ST long/short-term capital gains."
    )

    class Meta:
        ordering = ["symbol", "ex_dividend_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "ex_dividend_date", "dividend_type"], name="dividend_unique_per_ex_date"
            ),
            models.CheckConstraint(
                condition=models.Q(cash_amount__gte=0), name="dividend_cash_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} ex {self.ex_dividend_date}: {self.cash_amount} ({self.dividend_type})"


class DividendCheck(models.Model):
    """The last day a symbol's upcoming dividends were asked for: they are asked at most daily.

    Its own table rather than a field of `SymbolHistory` or `SymbolDetails`: dividends are
    checked for any symbol a refresh hands over, whether or not its history is stored (a
    `SymbolHistory` row speaks for stored sessions, and the splits check reads every one) or
    its details are (the plan may lack them); a row here means only "asked on this day".
    """

    symbol = models.CharField(max_length=8, unique=True, help_text="Normalised symbol, e.g. AAPL or BRK.B.")
    checked_on = models.DateField(help_text="The New York date its upcoming dividends were last asked for.")

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return f"{self.symbol}: dividends checked on {self.checked_on}"


class RefreshCycle(models.Model):
    """One refresh of market data: inline (the command) or on the workers, and how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # something failed (the rest was refreshed)
        SKIPPED = "skipped"  # another cycle was running

    class Mode(models.TextChoices):
        INLINE = "inline"
        WORKERS = "workers"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    force = models.BooleanField(default=False)
    only = models.JSONField(default=list, help_text="The data sets asked for (refresh_market_data --only).")
    symbols = models.JSONField(default=list, help_text="The symbols to refresh.")
    contracts = models.JSONField(default=list, help_text="[underlying, option ticker] of open positions.")
    history_also = models.JSONField(default=list, help_text="Symbols whose stored history is kept too.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    symbols_ok = models.PositiveIntegerField(default=0, help_text="Symbols and contracts refreshed.")
    symbols_failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=dict, blank=True, help_text="{symbol or contract: error code}")
    warnings = models.JSONField(default=dict, blank=True, help_text="{contract: warning}")
    upstream_calls = models.JSONField(default=dict, blank=True, help_text="{endpoint: calls}")
    signal_counts = models.JSONField(
        default=dict, blank=True, help_text="{strategy: candidates} over the chains this cycle fetched"
    )
    # A running cycle's finished stages, kept here rather than in the next stage's task message:
    # a chord's body travels with every one of its tasks (5,000 chains would carry it 5,000 times).
    parts = models.JSONField(
        default=list, blank=True, help_text="The finished stages' parts (until the end)."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="refreshcycle_status")]

    def __str__(self) -> str:
        return f"cycle {self.pk} ({self.mode}): {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        """From start to finish (None until it has finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
