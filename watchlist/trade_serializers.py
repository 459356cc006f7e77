"""API shapes of trades: opening one with its legs, rolling, assigning, closing, and a trade as shown.

Input serializers check types, enums and ranges; the leg rules and every cross-field rule run
in `watchlist.trades` (a 400 naming the rule, nothing written).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api_schema import shape_fields
from marketdata.serializers import SymbolField
from marketdata.trade_figures import TradeFigures
from watchlist.alert_serializers import TradeSignalSerializer
from watchlist.models import OPTION_TICKER_MAX_LENGTH, Instrument, Trade, TradeStatus, TradeStrategy
from watchlist.serializers import SMALLEST_PRICE, OptionTickerField, PositionValuedSerializer
from watchlist.trades import LegInput


class TextField(serializers.CharField):
    """A string as the schema says: a number is refused, not turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class LegInputSerializer(serializers.Serializer):
    """A leg to open: shares (no option ticker) or an option; quantity negative for short."""

    instrument = serializers.ChoiceField(choices=Instrument.choices)
    option_ticker = OptionTickerField(
        max_length=OPTION_TICKER_MAX_LENGTH, required=False, allow_null=True, help_text="Options only."
    )
    quantity = serializers.IntegerField(help_text="Shares or contracts; negative = short. Not 0.")
    entry_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=SMALLEST_PRICE, coerce_to_string=False
    )
    fees = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=0, required=False, coerce_to_string=False
    )
    multiplier = serializers.IntegerField(min_value=1, required=False, help_text="Default 100 for options.")
    opened_at = serializers.DateTimeField(required=False)

    def to_leg(self, data: dict[str, Any]) -> LegInput:
        """The validated leg as the services take it."""
        return LegInput(**data)


def _legs(serializer: LegInputSerializer, items: list[dict[str, Any]]) -> list[LegInput]:
    return [serializer.to_leg(item) for item in items]


class TradeOpenSerializer(serializers.Serializer):
    """POST /trades/: the underlying, the strategy and the legs with their entry prices."""

    underlying = SymbolField()
    strategy = serializers.ChoiceField(choices=TradeStrategy.choices)
    notes = TextField(required=False, allow_blank=True, max_length=10_000)
    opened_at = serializers.DateTimeField(required=False)
    legs = serializers.ListField(child=LegInputSerializer(), min_length=1, max_length=20)

    def service_kwargs(self) -> dict[str, Any]:
        """The validated body as `trade_open`'s keyword arguments."""
        data = dict(self.validated_data)
        data["symbol"] = data.pop("underlying")
        data["legs"] = _legs(LegInputSerializer(), data["legs"])
        return data


class TradeUpdateSerializer(serializers.Serializer):
    """PATCH /trades/{id}/: the notes (an empty body changes nothing)."""

    notes = TextField(required=False, allow_blank=True, max_length=10_000)


# The largest id a row can have (BigAutoField).
MAX_ID = 2**63 - 1


class LegCloseSerializer(serializers.Serializer):
    leg = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of an open leg of this trade."
    )
    exit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=0, coerce_to_string=False
    )


class TradeRollSerializer(serializers.Serializer):
    """POST /trades/{id}/roll/: legs to close at exit prices and legs to open, in one step."""

    close = serializers.ListField(
        child=LegCloseSerializer(), max_length=20, help_text="Empty: only open (e.g. the covered call)."
    )
    open = serializers.ListField(child=LegInputSerializer(), max_length=20)

    def service_kwargs(self) -> dict[str, Any]:
        """The validated body as `trade_roll`'s keyword arguments."""
        data = self.validated_data
        return {
            "close": {item["leg"]: item["exit_price"] for item in data["close"]},
            "open": _legs(LegInputSerializer(), data["open"]),
        }


class TradeAssignSerializer(serializers.Serializer):
    """POST /trades/{id}/assign/: the option leg assigned (short) or exercised (long)."""

    leg = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class TradeCloseSerializer(serializers.Serializer):
    """POST /trades/{id}/close/: an exit price for every open leg, by leg id."""

    exit_prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, coerce_to_string=False),
        allow_empty=False,
        help_text='{"<leg id>": exit price, …}',
    )

    def validate_exit_prices(self, value: dict[str, Any]) -> dict[int, Any]:
        if not all(key.isascii() and key.isdigit() and 1 <= int(key) <= MAX_ID for key in value):
            raise serializers.ValidationError("Keys are leg ids (whole numbers from 1).")
        return {int(key): price for key, price in value.items()}


class TradeFilterSerializer(serializers.Serializer):
    """Query parameters of GET /trades/."""

    status = serializers.ChoiceField(choices=TradeStatus.choices, required=False)
    strategy = serializers.ChoiceField(choices=TradeStrategy.choices, required=False)
    underlying = SymbolField(required=False, help_text="Only this underlying.")


FIGURE_FIELDS = shape_fields(TradeFigures, source="figures")
FIGURES = tuple(FIGURE_FIELDS)


class TradeSerializer(serializers.ModelSerializer[Trade]):
    """A trade with every leg it ever held (closed ones too), each valued as a position."""

    underlying = serializers.CharField(source="ticker.symbol", read_only=True)
    status = serializers.ChoiceField(choices=TradeStatus.choices, read_only=True)
    legs = PositionValuedSerializer(many=True, read_only=True, source="valued_legs")
    signals = TradeSignalSerializer(
        many=True, read_only=True, help_text="Management signals firing now (open trades; closed: [])."
    )

    class Meta:
        model = Trade
        fields = (
            "id", "underlying", "strategy", "status", "opened_at", "closed_at", "notes", "legs", "signals",
            *FIGURES,
        )  # fmt: skip
        read_only_fields = fields


# A trade's figures (`trade.figures`, set by the view) shown beside its own fields.
TradeSerializer._declared_fields.update(FIGURE_FIELDS)  # type: ignore[attr-defined]
