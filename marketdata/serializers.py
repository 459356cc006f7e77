"""Market-data API shapes: query and request validation, and the documented response bodies.

Response bodies are `marketdata.responses` shapes; their serializers here are built from
them (`core.api_schema.shape_serializer`) for the OpenAPI schema, so each is written once.
Views return the services' dicts as they are (hot paths skip serializer overhead).
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_schema import shape_serializer
from marketdata import responses
from marketdata.exceptions import InvalidSymbol
from marketdata.strategies import STRATEGIES
from marketdata.symbols import MAX_RAW_LENGTH, RAW_SYMBOL_PATTERN, normalize_symbol

# A symbol as the API accepts it: exactly what normalize_symbol takes.
SYMBOL_SCHEMA: dict[str, Any] = {"type": "string", "pattern": RAW_SYMBOL_PATTERN, "maxLength": MAX_RAW_LENGTH}


@extend_schema_field(SYMBOL_SCHEMA)
class RawSymbolField(serializers.CharField):
    """A stock symbol as typed (documented by its pattern); normalising is the caller's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_RAW_LENGTH)
        kwargs.setdefault("trim_whitespace", False)  # normalize_symbol trims spaces only
        kwargs.setdefault("help_text", "Stock symbol, e.g. AAPL or BRK.B.")
        super().__init__(**kwargs)


class SymbolField(RawSymbolField):
    """A stock symbol, normalised (`brk-b` → `BRK.B`); a malformed one is an error on this field."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return normalize_symbol(super().to_internal_value(data))
        except InvalidSymbol as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None


StockSerializer = shape_serializer(responses.Stock)
BarsSerializer = shape_serializer(responses.Bars)
EarningsSerializer = shape_serializer(responses.Earnings)
OptionsSerializer = shape_serializer(responses.Options)
SignalsSerializer = shape_serializer(responses.Signals)
OptionQuoteSerializer = shape_serializer(responses.OptionQuote)
ValidateTickerResponseSerializer = shape_serializer(responses.ValidateTickerResponse)


class BarsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=3660)


class OptionsQuerySerializer(serializers.Serializer):
    min_dte = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    max_dte = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    type = serializers.ChoiceField(choices=["call", "put"], required=False)
    min_delta = serializers.FloatField(required=False, min_value=0, max_value=1, help_text="Absolute delta.")
    max_delta = serializers.FloatField(required=False, min_value=0, max_value=1, help_text="Absolute delta.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "min_dte" in attrs and "max_dte" in attrs and attrs["min_dte"] > attrs["max_dte"]:
            raise serializers.ValidationError({"min_dte": "min_dte must not exceed max_dte."})
        if "min_delta" in attrs and "max_delta" in attrs and attrs["min_delta"] > attrs["max_delta"]:
            raise serializers.ValidationError({"min_delta": "min_delta must not exceed max_delta."})
        return attrs


_STRATEGY = f"({'|'.join(STRATEGIES)})"
# A comma-separated list of strategy names, spaces allowed around them.
STRATEGY_LIST_PATTERN = f"^ *{_STRATEGY} *(, *{_STRATEGY} *)*$"


@extend_schema_field({"type": "string", "pattern": STRATEGY_LIST_PATTERN})
class StrategyListField(serializers.CharField):
    """Strategy names separated by commas (the schema states the pattern)."""


class SignalsQuerySerializer(serializers.Serializer):
    strategy = StrategyListField(
        required=False,
        trim_whitespace=False,
        help_text=f"Comma-separated subset of {', '.join(STRATEGIES)} (default: all).",
    )
    include_earnings = serializers.BooleanField(required=False, default=False)

    def validate_strategy(self, value: str) -> list[str]:
        names = [name.strip(" ") for name in value.split(",")]
        unknown = sorted(set(names) - set(STRATEGIES))
        if unknown or not re.fullmatch(STRATEGY_LIST_PATTERN, value):
            named = ", ".join(unknown)[:64] or "(empty)"
            choices = ", ".join(STRATEGIES)
            raise serializers.ValidationError(f"Unknown strategy {named}; choose from {choices}.")
        return list(dict.fromkeys(names))


class RefreshQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: bypass the cache."
    )


class ValidateTickerRequestSerializer(serializers.Serializer):
    symbol = RawSymbolField()

    def validate_symbol(self, value: str) -> str:
        return normalize_symbol(value)  # InvalidSymbol: the endpoint's own invalid_symbol error
