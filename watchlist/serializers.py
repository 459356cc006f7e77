"""API shapes for watchlists, positions and tokens, and their documented errors.

Input serializers check types and enums only; the domain rules run in the services (through
the models' `full_clean()`), so admin and API enforce the same ones.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from core.api_schema import ErrorSerializer, shape_serializer
from marketdata import occ
from marketdata.serializers import SymbolField
from watchlist import portfolio
from watchlist.models import (
    OPTION_STRATEGIES,
    OPTION_TICKER_MAX_LENGTH,
    POSITION_INPUT_FIELDS,
    PRICE_DECIMAL_PLACES,
    Instrument,
    Position,
    PositionStatus,
    Strategy,
    WatchlistItem,
)

# The smallest price a position's decimal places can hold: prices are above 0.
SMALLEST_PRICE = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)


# --- Errors ----------------------------------------------------------------------------------


# What each error status means on these endpoints (core.api_schema's texts speak of market data).
_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each offending field. Nothing was saved.",
    401: "Not authenticated: send `Authorization: Token <key>` or log in.",
    404: "Not found (or not yours).",
    415: "The body must be JSON (`Content-Type: application/json`).",
    429: "Too many requests; retry after the Retry-After header's seconds.",
    503: "The market-data provider could not be reached (new symbol to validate); see Retry-After.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Return `extend_schema` responses documenting the shared JSON error body for each status."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


# --- Auth ------------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


# --- Watchlist -------------------------------------------------------------------------------


class WatchlistAddSerializer(serializers.Serializer):
    symbol = SymbolField()


class WatchlistItemSerializer(serializers.ModelSerializer[WatchlistItem]):
    symbol = serializers.CharField(source="ticker.symbol", read_only=True)
    name = serializers.CharField(
        source="ticker_name", read_only=True, help_text="The name set in the admin, else the provider's."
    )

    class Meta:
        model = WatchlistItem
        fields = ("symbol", "name", "added_at")
        read_only_fields = fields


# --- Positions -------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": occ.TICKER_PATTERN, "maxLength": OPTION_TICKER_MAX_LENGTH})
class OptionTickerField(serializers.CharField):
    """An OCC option ticker (checked in full, and against the stock, by the model)."""


class PositionInputSerializer(serializers.ModelSerializer[Position]):
    """POST (all required fields) and PATCH (partial) body; `ticker` is the stock symbol."""

    ticker = SymbolField()
    option_ticker = OptionTickerField(
        max_length=OPTION_TICKER_MAX_LENGTH,
        required=False,
        allow_null=True,
        help_text="Options only, e.g. O:AAPL260116C00150000; null or absent for stock.",
    )

    class Meta:
        model = Position
        fields = ("ticker", *POSITION_INPUT_FIELDS)
        # The single-field rules of the model's constraints, so the schema states them too;
        # the cross-field ones (instrument × option_ticker × strategy × multiplier, closing)
        # answer 400 with the offending field named.
        extra_kwargs = {
            "entry_price": {"coerce_to_string": False, "min_value": SMALLEST_PRICE},
            # 0: a leg that expired worthless, or was assigned.
            "exit_price": {"coerce_to_string": False, "min_value": 0},
            "fees": {"coerce_to_string": False, "min_value": 0},
            "multiplier": {"min_value": 1},
        }

    def service_kwargs(self) -> dict[str, Any]:
        """Return the validated data as keyword arguments of position_open/position_update."""
        data = dict(self.validated_data)
        if "ticker" in data:
            data["symbol"] = data.pop("ticker")
        return data


# The instrument's own rules, for the schema of POST /positions/: a body is one of these two
# (schema only: PositionInputSerializer validates, the model checks every rule).
class StockPositionOpenSerializer(PositionInputSerializer):
    """Shares: no option ticker (null or absent), a multiplier of 1."""

    instrument = serializers.ChoiceField(choices=[Instrument.STOCK])
    multiplier = serializers.IntegerField(min_value=1, max_value=1, required=False, help_text="1 for stock.")
    strategy = serializers.ChoiceField(choices=[s for s in Strategy if s not in OPTION_STRATEGIES])

    class Meta(PositionInputSerializer.Meta):
        fields = tuple(  # type: ignore[assignment]
            name for name in PositionInputSerializer.Meta.fields if name != "option_ticker"
        )


class OptionPositionOpenSerializer(PositionInputSerializer):
    """Option contracts: the option ticker is required."""

    instrument = serializers.ChoiceField(choices=[Instrument.OPTION])
    option_ticker = OptionTickerField(max_length=OPTION_TICKER_MAX_LENGTH)
    strategy = serializers.ChoiceField(choices=[s for s in Strategy if s != Strategy.STOCK])


POSITION_OPEN_SCHEMA = PolymorphicProxySerializer(
    component_name="PositionOpen",
    serializers={
        Instrument.STOCK.value: StockPositionOpenSerializer,
        Instrument.OPTION.value: OptionPositionOpenSerializer,
    },
    resource_type_field_name="instrument",
)


class PositionFilterSerializer(serializers.Serializer):
    """Query parameters of GET /positions/."""

    ticker = SymbolField(required=False, help_text="Only this stock symbol.")
    strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    status = serializers.ChoiceField(choices=PositionStatus.choices, required=False)


class PositionSerializer(serializers.ModelSerializer[Position]):
    """A position as the API shows it; extend `Meta.fields` in a subclass to add field groups."""

    ticker = serializers.CharField(source="ticker.symbol", read_only=True)
    contract_type = serializers.ChoiceField(
        choices=("call", "put"),
        read_only=True,
        allow_null=True,
        help_text="From option_ticker; null for stock.",
    )
    strike = serializers.FloatField(
        read_only=True, allow_null=True, help_text="From option_ticker; null for stock."
    )
    expiration = serializers.DateField(
        read_only=True, allow_null=True, help_text="From option_ticker; null for stock."
    )
    status = serializers.ChoiceField(choices=PositionStatus.choices, read_only=True)

    class Meta:
        model = Position
        fields = (
            "id",
            "trade",
            "ticker",
            "instrument",
            "option_ticker",
            "contract_type",
            "strike",
            "expiration",
            "quantity",
            "multiplier",
            "entry_price",
            "opened_at",
            "closed_at",
            "exit_price",
            "fees",
            "status",
            "strategy",
            "notes",
        )
        read_only_fields = fields
        extra_kwargs = {
            "trade": {"help_text": "The trade this position is a leg of (`/api/v1/trades/{id}/`)."},
            "entry_price": {"coerce_to_string": False},
            "exit_price": {"coerce_to_string": False},
            "fees": {"coerce_to_string": False},
        }


def _money_field(field: str, help_text: str, places: int = 2) -> serializers.DecimalField:
    """A read-only valuation figure rendered as a JSON number (kwargs survive DRF's field copies)."""
    return serializers.DecimalField(
        max_digits=20,
        decimal_places=places,
        coerce_to_string=False,
        read_only=True,
        allow_null=True,
        help_text=help_text,
        source=f"valuation.{field}",
    )


class PositionValuedSerializer(PositionSerializer):
    """A position with its live valuation (`position.valuation`, set by the view)."""

    current_price = _money_field(
        "current_price", "Per share; mid > bid > ask > close, else entry or intrinsic.", 4
    )
    price_source = serializers.ChoiceField(
        choices=("mid", "bid", "ask", "close", "entry", "expired"),
        read_only=True,
        allow_null=True,
        source="valuation.price_source",
    )
    market_value = _money_field("market_value", "current × quantity × multiplier (open positions).")
    unrealised_pnl = _money_field("unrealised_pnl", "(current − entry) × quantity × multiplier.")
    unrealised_pnl_pct = _money_field(
        "unrealised_pnl_pct", "Percent of the entry cost, sign-correct for shorts."
    )
    realised_pnl = _money_field("realised_pnl", "(exit − entry) × quantity × multiplier (closed positions).")
    dte = serializers.IntegerField(read_only=True, allow_null=True, source="valuation.dte")
    position_delta = _money_field("position_delta", "delta × quantity × multiplier; stock: quantity.")

    class Meta(PositionSerializer.Meta):
        fields = (  # type: ignore[assignment]
            *PositionSerializer.Meta.fields,
            "current_price",
            "price_source",
            "market_value",
            "unrealised_pnl",
            "unrealised_pnl_pct",
            "realised_pnl",
            "dte",
            "position_delta",
        )
        read_only_fields = fields  # type: ignore[assignment]


DashboardSerializer = shape_serializer(portfolio.Dashboard)
