"""Tickers, watchlists and positions: a position is one leg of a trade (`watchlist.models.trades`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from marketdata import clock, occ
from marketdata.domain import ContractType
from marketdata.exceptions import InvalidOptionTicker, InvalidSymbol
from marketdata.symbols import normalize_symbol, option_root

# 1–5 letters, optionally "." and 1–2 letters.
SYMBOL_MAX_LENGTH = 8
OPTION_TICKER_MAX_LENGTH = 32
PRICE_MAX_DIGITS = 12
PRICE_DECIMAL_PLACES = 4


class Ticker(models.Model):
    """A stock symbol mojo knows; created only by `services.ticker_get_or_create`."""

    symbol = models.CharField(
        max_length=SYMBOL_MAX_LENGTH,
        unique=True,
        help_text="Upper case, class shares with a dot (BRK.B).",
    )
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ("symbol",)
        constraints = (
            models.CheckConstraint(
                condition=Q(symbol=Upper("symbol")) & ~Q(symbol=""),
                name="ticker_symbol_upper_case",
                violation_error_message="A symbol is stored in upper case.",
            ),
        )

    def __str__(self) -> str:
        return self.symbol

    def clean(self) -> None:
        """Normalise the symbol (upper case, `-` → `.`) or reject it."""
        try:
            self.symbol = normalize_symbol(self.symbol)
        except InvalidSymbol as exc:
            raise ValidationError({"symbol": exc.message}, code=exc.code) from None


class WatchlistItem(models.Model):
    """One ticker on one user's watchlist."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_items"
    )
    ticker = models.ForeignKey(Ticker, on_delete=models.PROTECT, related_name="watchlist_items")
    added_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ("ticker__symbol",)
        constraints = (
            models.UniqueConstraint(
                fields=("owner", "ticker"),
                name="watchlist_item_unique_per_owner",
                violation_error_message="This ticker is already on the watchlist.",
            ),
        )

    def __str__(self) -> str:
        return f"{self.ticker} on {self.owner}'s watchlist"


class Instrument(models.TextChoices):
    STOCK = "stock", "Stock"
    OPTION = "option", "Option"


class Strategy(models.TextChoices):
    STOCK = "stock", "Stock"
    LEAPS = "leaps", "LEAPS"
    CSP = "csp", "Cash-secured put"
    COVERED_CALL = "covered_call", "Covered call"
    PMCC_LONG = "pmcc_long", "PMCC long leg"
    PMCC_SHORT = "pmcc_short", "PMCC short leg"
    OTHER = "other", "Other"


class PositionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


# Strategies whose legs are option contracts; `stock` holds shares; the rest may hold either.
OPTION_STRATEGIES = (Strategy.LEAPS, Strategy.CSP, Strategy.PMCC_LONG, Strategy.PMCC_SHORT)
IMMUTABLE_FIELDS = ("instrument", "ticker", "option_ticker")
# What a user writes of a position (the API's input, what position_update may set); the
# ticker comes as a symbol beside these.
POSITION_INPUT_FIELDS = (
    "instrument",
    "option_ticker",
    "quantity",
    "multiplier",
    "entry_price",
    "opened_at",
    "closed_at",
    "exit_price",
    "fees",
    "strategy",
    "notes",
)
IMMUTABLE_MESSAGE = "Cannot change after the position is opened; close it and open another."
DEFAULT_OPTION_MULTIPLIER = 100


def _check(condition: Q, name: str, message: str) -> models.CheckConstraint:
    # The code is the constraint's name: Position.validate_constraints maps it to a field.
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_message=message, violation_error_code=name
    )


class Position(models.Model):
    """A stock or option position a user holds (or held: closed positions keep their exit): a trade's leg."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="positions")
    trade = models.ForeignKey("watchlist.Trade", on_delete=models.CASCADE, related_name="legs")
    ticker = models.ForeignKey(Ticker, on_delete=models.PROTECT, related_name="positions")
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    # NULL, not "", means "no contract": the constraints pair it with instrument=stock.
    option_ticker = models.CharField(  # noqa: DJ001
        max_length=OPTION_TICKER_MAX_LENGTH,
        null=True,
        blank=True,
        help_text="Options only, e.g. O:AAPL260116C00150000; contract type, strike and expiry come from it.",
    )
    quantity = models.IntegerField(help_text="Shares or contracts; negative for a short position.")
    multiplier = models.PositiveIntegerField(
        blank=True, help_text="Shares per contract: 100 for options unless adjusted, 1 for stock."
    )
    entry_price = models.DecimalField(max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES)
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    exit_price = models.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES, null=True, blank=True
    )
    fees = models.DecimalField(
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=PRICE_DECIMAL_PLACES,
        default=Decimal(0),
        help_text="Commissions and fees paid for this leg, opening and closing (dollars).",
    )
    strategy = models.CharField(max_length=16, choices=Strategy.choices)
    notes = models.TextField(blank=True)

    # Each constraint's field, so its violation appears next to that field (API details, admin form).
    CONSTRAINT_FIELDS: ClassVar[dict[str, str]] = {
        "position_instrument_valid": "instrument",
        "position_strategy_valid": "strategy",
        "position_strategy_fits_instrument": "strategy",
        "position_option_ticker_required": "option_ticker",
        "position_option_ticker_forbidden": "option_ticker",
        "position_quantity_nonzero": "quantity",
        "position_multiplier_positive": "multiplier",
        "position_stock_multiplier_one": "multiplier",
        "position_entry_price_positive": "entry_price",
        "position_exit_price_nonnegative": "exit_price",
        "position_fees_nonnegative": "fees",
        "position_exit_price_needs_closed_at": "closed_at",
        "position_closed_at_needs_exit_price": "exit_price",
        "position_closed_after_opened": "closed_at",
    }

    class Meta:
        ordering = ("-opened_at", "-id")
        indexes = (
            models.Index(fields=("owner", "ticker"), name="position_owner_ticker"),
            models.Index(fields=("owner", "strategy"), name="position_owner_strategy"),
            models.Index(fields=("owner", "closed_at"), name="position_owner_closed"),
            models.Index(fields=("owner", "-opened_at"), name="position_owner_opened"),
        )
        constraints = (
            _check(
                Q(instrument__in=Instrument.values),
                "position_instrument_valid",
                "Instrument is 'stock' or 'option'.",
            ),
            _check(
                Q(strategy__in=Strategy.values),
                "position_strategy_valid",
                f"Strategy is one of: {', '.join(Strategy.values)}.",
            ),
            _check(
                Q(strategy=Strategy.STOCK, instrument=Instrument.STOCK)
                | Q(strategy__in=OPTION_STRATEGIES, instrument=Instrument.OPTION)
                | Q(strategy__in=(Strategy.COVERED_CALL, Strategy.OTHER)),
                "position_strategy_fits_instrument",
                "Strategy 'stock' holds shares; leaps, csp and pmcc legs hold options.",
            ),
            _check(
                ~Q(instrument=Instrument.OPTION) | (Q(option_ticker__isnull=False) & ~Q(option_ticker="")),
                "position_option_ticker_required",
                "An option position needs its option ticker.",
            ),
            _check(
                ~Q(instrument=Instrument.STOCK) | Q(option_ticker__isnull=True),
                "position_option_ticker_forbidden",
                "A stock position has no option ticker.",
            ),
            _check(~Q(quantity=0), "position_quantity_nonzero", "Quantity cannot be 0 (negative = short)."),
            _check(Q(multiplier__gte=1), "position_multiplier_positive", "The multiplier is at least 1."),
            _check(
                ~Q(instrument=Instrument.STOCK) | Q(multiplier=1),
                "position_stock_multiplier_one",
                "A stock position's multiplier is 1.",
            ),
            _check(Q(entry_price__gt=0), "position_entry_price_positive", "The entry price must be above 0."),
            _check(
                Q(exit_price__isnull=True) | Q(exit_price__gte=0),
                "position_exit_price_nonnegative",
                "The exit price cannot be negative (a leg that expires or is assigned closes at 0).",
            ),
            _check(Q(fees__gte=0), "position_fees_nonnegative", "Fees cannot be negative."),
            _check(
                Q(exit_price__isnull=True) | Q(closed_at__isnull=False),
                "position_exit_price_needs_closed_at",
                "An exit price needs the time the position was closed.",
            ),
            _check(
                Q(closed_at__isnull=True) | Q(exit_price__isnull=False),
                "position_closed_at_needs_exit_price",
                "A closed position needs its exit price.",
            ),
            _check(
                Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                "position_closed_after_opened",
                "A position cannot close before it opened.",
            ),
        )

    def __str__(self) -> str:
        side = "Short" if self.quantity < 0 else "Long"
        return f"{side} {abs(self.quantity)} × {self.contract_label} ({self.strategy}, {self.status})"

    # --- Derived from option_ticker (never stored twice) -----------------------------------------

    @property
    def option(self) -> occ.ParsedOption | None:
        """The parsed option ticker, or None for stock."""
        return occ.parse(self.option_ticker) if self.option_ticker else None

    @property
    def contract_type(self) -> ContractType | None:
        option = self.option
        return option.contract_type if option else None

    @property
    def strike(self) -> float | None:
        option = self.option
        return option.strike if option else None

    @property
    def expiration(self) -> date | None:
        option = self.option
        return option.expiration if option else None

    @property
    def status(self) -> str:
        """`open` until the position has a closing time, then `closed`."""
        return PositionStatus.OPEN if self.closed_at is None else PositionStatus.CLOSED

    @property
    def contract_label(self) -> str:
        """`AAPL` for stock, `AAPL 2026-01-16 150 call` for an option."""
        symbol = self.ticker.symbol if self.ticker_id is not None else "?"
        option = self.option
        if option is None:
            return symbol
        return f"{symbol} {option.expiration.isoformat()} {option.strike:g} {option.contract_type}"

    # --- Validation ---------------------------------------------------------------------------

    def clean(self) -> None:
        """Check what SQL cannot: option-ticker syntax, its root, and immutable fields."""
        errors: dict[str, str] = {}
        if self.multiplier is None:
            self.multiplier = DEFAULT_OPTION_MULTIPLIER if self.instrument == Instrument.OPTION else 1
        if self.option_ticker is not None:
            self.option_ticker = self.option_ticker.strip().upper() or None
        if self.option_ticker:
            try:
                option = occ.parse(self.option_ticker)
            except InvalidOptionTicker as exc:
                errors["option_ticker"] = exc.message
            else:
                symbol = self.ticker.symbol if self.ticker_id is not None else None
                if symbol is not None and not occ.root_belongs_to(option.root, symbol):
                    errors["option_ticker"] = (
                        f"{option.root} is not an option root of {symbol}: expected {option_root(symbol)}, "
                        "optionally followed by one digit."
                    )
        errors.update(self._immutable_field_errors())
        if errors:
            raise ValidationError(errors)

    def _immutable_field_errors(self) -> dict[str, str]:
        if self._state.adding:
            return {}
        stored = (
            Position.objects.filter(pk=self.pk).values("instrument", "ticker_id", "option_ticker").first()
        )
        if stored is None:
            return {}
        current = {
            "instrument": self.instrument,
            "ticker_id": self.ticker_id,
            "option_ticker": self.option_ticker,
        }
        return {
            name.removesuffix("_id"): IMMUTABLE_MESSAGE
            for name, value in stored.items()
            if current[name] != value
        }

    def validate_constraints(self, exclude: Any = None) -> None:
        """Validate Meta.constraints, filing each failure under its field rather than `__all__`."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors: dict[str, list[ValidationError]] = {}
            for key, key_errors in exc.error_dict.items():
                for error in key_errors:
                    field = (
                        self.CONSTRAINT_FIELDS.get(str(error.code), key) if key == NON_FIELD_ERRORS else key
                    )
                    errors.setdefault(field, []).append(error)
            raise ValidationError(errors) from None
