"""API shapes for watchlists, positions and tokens, and their documented errors.

Input serializers check types and enums only; the domain rules run in the services (through
the models' `full_clean()`), so admin and API enforce the same ones.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.api_schema import ErrorSerializer, shape_serializer
from marketdata.exceptions import InvalidSymbol
from marketdata.symbols import normalize_symbol
from watchlist import portfolio
from watchlist.models import POSITION_INPUT_FIELDS, Position, PositionStatus, Strategy, WatchlistItem


class SymbolField(serializers.CharField):
    """A stock symbol, normalised (`brk-b` → `BRK.B`); a malformed one is an error on this field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("trim_whitespace", False)  # normalize_symbol trims ASCII only
        kwargs.setdefault("help_text", "Stock symbol, e.g. AAPL or BRK.B.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        try:
            return normalize_symbol(super().to_internal_value(data))
        except InvalidSymbol as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None


# --- Errors ----------------------------------------------------------------------------------


# What each error status means on these endpoints (core.api_schema's texts speak of market data).
_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each offending field. Nothing was saved.",
    401: "Not authenticated: send `Authorization: Token <key>` or log in.",
    404: "Not found (or not yours).",
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
    name = serializers.CharField(source="ticker.name", read_only=True)

    class Meta:
        model = WatchlistItem
        fields = ("symbol", "name", "added_at")
        read_only_fields = fields


# --- Positions -------------------------------------------------------------------------------


class PositionInputSerializer(serializers.ModelSerializer[Position]):
    """POST (all required fields) and PATCH (partial) body; `ticker` is the stock symbol."""

    ticker = SymbolField()

    class Meta:
        model = Position
        fields = ("ticker", *POSITION_INPUT_FIELDS)
        extra_kwargs = {
            "entry_price": {"coerce_to_string": False},
            "exit_price": {"coerce_to_string": False},
        }

    def service_kwargs(self) -> dict[str, Any]:
        """Return the validated data as keyword arguments of position_open/position_update."""
        data = dict(self.validated_data)
        if "ticker" in data:
            data["symbol"] = data.pop("ticker")
        return data


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
            "status",
            "strategy",
            "notes",
        )
        read_only_fields = fields
        extra_kwargs = {
            "entry_price": {"coerce_to_string": False},
            "exit_price": {"coerce_to_string": False},
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
