"""Market-data API shapes: query and request validation, and the documented response bodies.

Response bodies are `marketdata.responses` shapes; their serializers here are built from
them (`core.api_schema.shape_serializer`) for the OpenAPI schema, so each is written once.
Views return the services' dicts as they are (hot paths skip serializer overhead).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api_schema import shape_serializer
from marketdata import responses
from marketdata.strategies import STRATEGIES
from marketdata.symbols import normalize_symbol

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


class SignalsQuerySerializer(serializers.Serializer):
    strategy = serializers.CharField(
        required=False, help_text=f"Comma-separated subset of {', '.join(STRATEGIES)} (default: all)."
    )
    include_earnings = serializers.BooleanField(required=False, default=False)

    def validate_strategy(self, value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(STRATEGIES))
        if unknown or not names:
            named = ", ".join(unknown)[:64] or "(empty)"
            choices = ", ".join(STRATEGIES)
            raise serializers.ValidationError(f"Unknown strategy {named}; choose from {choices}.")
        return list(dict.fromkeys(names))


class RefreshQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: bypass the cache."
    )


class ValidateTickerRequestSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=16, trim_whitespace=False)

    def validate_symbol(self, value: str) -> str:
        return normalize_symbol(value)
