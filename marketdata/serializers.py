"""Market-data API shapes: query validation and the documented response bodies.

Views return the services' dicts as they are (hot paths skip serializer overhead); the
response serializers here describe them exactly, for the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from marketdata.strategies import STRATEGIES
from marketdata.symbols import normalize_symbol


class MetaSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="When the data was fetched from the provider (UTC).")
    cached = serializers.BooleanField()
    stale = serializers.BooleanField(help_text="True when the provider failed and older data is served.")


class PricePointSerializer(serializers.Serializer):
    date = serializers.DateField()
    price = serializers.FloatField()


class LevelSerializer(serializers.Serializer):
    price = serializers.FloatField()
    strength = serializers.IntegerField(help_text="Touches of the level (pivots in the cluster).")
    last_touch = serializers.DateField()


class StockSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    price = serializers.FloatField()
    change = serializers.FloatField(allow_null=True)
    change_percent = serializers.FloatField(allow_null=True, help_text="Percent (2.5 = 2.5 %).")
    sma_20 = serializers.FloatField(allow_null=True)
    sma_50 = serializers.FloatField(allow_null=True)
    sma_200 = serializers.FloatField(allow_null=True)
    high_52w = serializers.FloatField(allow_null=True)
    high_52w_date = serializers.DateField(allow_null=True)
    low_52w = serializers.FloatField(allow_null=True)
    low_52w_date = serializers.DateField(allow_null=True)
    rsi_14 = serializers.FloatField(allow_null=True)
    atr_14 = serializers.FloatField(allow_null=True)
    hv_20 = serializers.FloatField(allow_null=True, help_text="Annualised fraction (0.35 = 35 %).")
    hv_30 = serializers.FloatField(allow_null=True, help_text="Annualised fraction.")
    avg_volume_20 = serializers.FloatField(allow_null=True)
    swing_highs = PricePointSerializer(many=True)
    swing_lows = PricePointSerializer(many=True)
    support_levels = LevelSerializer(many=True)
    resistance_levels = LevelSerializer(many=True)
    earnings_date = serializers.DateField(allow_null=True)
    days_to_earnings = serializers.IntegerField(allow_null=True)
    earnings_status = serializers.ChoiceField(choices=["scheduled", "none", "unknown"])
    meta = MetaSerializer()


class BarSerializer(serializers.Serializer):
    date = serializers.DateField()
    open = serializers.FloatField()
    high = serializers.FloatField()
    low = serializers.FloatField()
    close = serializers.FloatField()
    volume = serializers.FloatField()
    vwap = serializers.FloatField(allow_null=True)


class BarsSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bars = BarSerializer(many=True)
    meta = MetaSerializer()


class BarsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=3660)


class EarningsSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    earnings_date = serializers.DateField(allow_null=True)
    days_to_earnings = serializers.IntegerField(allow_null=True)
    upcoming = serializers.ListField(child=serializers.DateField())
    earnings_status = serializers.ChoiceField(
        choices=["scheduled", "none", "unknown"],
        help_text="unknown: the earnings provider could not answer (not the same as none).",
    )
    meta = MetaSerializer()


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


class BucketSerializer(serializers.Serializer):
    min_dte = serializers.IntegerField()
    max_dte = serializers.IntegerField()
    expirations = serializers.ListField(child=serializers.DateField())
    expiration_count = serializers.IntegerField()
    contract_count = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["label"] = serializers.CharField(help_text="DTE range, e.g. 0-7.")  # shadows Field.label
        return fields


class WindowSerializer(serializers.Serializer):
    to = serializers.DateField()
    min_dte = serializers.IntegerField()
    max_dte = serializers.IntegerField()
    contract_type = serializers.CharField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()  # a Python keyword, so added here
        return fields


class OptionResultSerializer(serializers.Serializer):
    option_ticker = serializers.CharField()
    contract_type = serializers.ChoiceField(choices=["call", "put"])
    strike = serializers.FloatField()
    expiration = serializers.DateField()
    dte = serializers.IntegerField()
    bid = serializers.FloatField(allow_null=True)
    ask = serializers.FloatField(allow_null=True)
    mid = serializers.FloatField(allow_null=True)
    price = serializers.FloatField(allow_null=True, help_text="Per share, by mid > bid > ask > close.")
    price_source = serializers.ChoiceField(choices=["mid", "bid", "ask", "close", "none"])
    spread_pct = serializers.FloatField(allow_null=True, help_text="Bid-ask spread, percent of mid.")
    delta = serializers.FloatField(allow_null=True)
    gamma = serializers.FloatField(allow_null=True)
    theta = serializers.FloatField(allow_null=True, help_text="Per calendar day.")
    vega = serializers.FloatField(allow_null=True, help_text="Per vol point.")
    greeks_source = serializers.ChoiceField(choices=["provider", "computed"], allow_null=True)
    iv = serializers.FloatField(allow_null=True, help_text="Annualised fraction.")
    open_interest = serializers.IntegerField(allow_null=True)
    volume = serializers.FloatField(allow_null=True)


class OptionsSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    spot = serializers.FloatField(allow_null=True)
    atm_iv = serializers.FloatField(allow_null=True, help_text="Annualised fraction.")
    iv_rank = serializers.FloatField(allow_null=True, help_text="Percent; null below 20 observations.")
    iv_percentile = serializers.FloatField(allow_null=True, help_text="Percent.")
    iv_history_days = serializers.IntegerField()
    iv_rank_reason = serializers.CharField(allow_null=True)
    buckets = BucketSerializer(many=True)
    windows = WindowSerializer(many=True, help_text="The expiration windows fetched from the provider.")
    results = OptionResultSerializer(many=True)
    meta = MetaSerializer()


class LegSerializer(serializers.Serializer):
    option_ticker = serializers.CharField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    contract_type = serializers.ChoiceField(choices=["call", "put"])
    strike = serializers.FloatField()
    expiration = serializers.DateField()
    dte = serializers.IntegerField()
    price = serializers.FloatField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)


class CandidateSerializer(serializers.Serializer):
    legs = LegSerializer(many=True)
    premium = serializers.FloatField(required=False, allow_null=True)
    net_debit = serializers.FloatField(required=False, allow_null=True)
    breakeven = serializers.FloatField(allow_null=True)
    max_profit = serializers.FloatField(allow_null=True, required=False)
    capital = serializers.FloatField(allow_null=True)
    return_pct = serializers.FloatField(allow_null=True)
    annualised_return_pct = serializers.FloatField(allow_null=True)
    prob_otm = serializers.FloatField(allow_null=True)
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class StrategiesSerializer(serializers.Serializer):
    csp = CandidateSerializer(many=True, required=False)
    covered_call = CandidateSerializer(many=True, required=False)
    leaps = CandidateSerializer(many=True, required=False)
    pmcc = CandidateSerializer(many=True, required=False)


class SignalsSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    spot = serializers.FloatField(allow_null=True)
    iv_rank = serializers.FloatField(allow_null=True)
    atm_iv = serializers.FloatField(allow_null=True)
    earnings_date = serializers.DateField(allow_null=True)
    days_to_earnings = serializers.IntegerField(allow_null=True)
    earnings_status = serializers.ChoiceField(choices=["scheduled", "none", "unknown"])
    strategies = StrategiesSerializer()
    meta = MetaSerializer()


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


class OptionQuoteSerializer(serializers.Serializer):
    option_ticker = serializers.CharField()
    underlying = serializers.CharField()
    price = serializers.FloatField(allow_null=True)
    price_source = serializers.ChoiceField(choices=["mid", "bid", "ask", "close", "none"])
    bid = serializers.FloatField(allow_null=True)
    ask = serializers.FloatField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)
    gamma = serializers.FloatField(allow_null=True)
    theta = serializers.FloatField(allow_null=True)
    vega = serializers.FloatField(allow_null=True)
    greeks_source = serializers.ChoiceField(choices=["provider", "computed"], allow_null=True)
    iv = serializers.FloatField(allow_null=True)
    dte = serializers.IntegerField()
    meta = MetaSerializer()


class RefreshQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: bypass the cache."
    )


class ValidateTickerRequestSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=16, trim_whitespace=False)

    def validate_symbol(self, value: str) -> str:
        return normalize_symbol(value)


class ValidateTickerResponseSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    valid = serializers.BooleanField()
