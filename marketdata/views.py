"""Market-data API views: validate input, call one service, return its dict.

Every provider call a view makes shares one request deadline (PROVIDER_REQUEST_BUDGET), so no
request outlives a worker timeout. `?refresh=true` is for staff; others get 403.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import ERROR_RESPONSES
from core.deadline import Deadline
from marketdata import occ, services, strategies
from marketdata import serializers as s
from marketdata.symbols import normalize_symbol
from watchlist.selectors import shares_held  # an interface's upward arrow: who holds what


def _query(serializer_class: type[serializers.Serializer], params: QueryDict) -> dict[str, Any]:
    # Repeated parameters: the last one counts (as Django's QueryDict.get does).
    serializer = serializer_class(data={key: params.get(key) for key in params})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


REFRESH_PARAM = OpenApiParameter(
    "refresh", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Staff only: bypass the cache."
)
SYMBOL_PARAM = OpenApiParameter(
    "symbol",
    s.SYMBOL_SCHEMA,
    OpenApiParameter.PATH,
    description="Stock symbol, e.g. AAPL or BRK.B (any case, `-` for the dot).",
)


class MarketDataView(APIView):
    """Shared behaviour: the staff-only refresh switch and the request deadline."""

    def force_refresh(self, request: Request) -> bool:
        """Whether the caller asked for (and may have) a forced refresh."""
        if "refresh" not in request.query_params:  # the common case: no parsing on the hot path
            return False
        refresh = _query(s.RefreshQuerySerializer, _only(request, "refresh"))["refresh"]
        if refresh and not request.user.is_staff:
            raise PermissionDenied("Only staff may force a refresh.")
        return bool(refresh)

    @staticmethod
    def deadline() -> Deadline:
        """The provider time budget of this request."""
        return Deadline.for_request()


def _only(request: Request, *names: str) -> QueryDict:
    picked = QueryDict(mutable=True)
    for name in names:
        if name in request.query_params:
            picked[name] = request.query_params.get(name, "")
    return picked


class StockView(MarketDataView):
    @extend_schema(
        summary="Price, indicators, levels and next earnings of a stock",
        parameters=[SYMBOL_PARAM, REFRESH_PARAM],
        responses={200: s.StockSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, symbol: str) -> Response:
        normalized = normalize_symbol(symbol)
        return Response(
            services.stock_overview(
                normalized, force_refresh=self.force_refresh(request), deadline=self.deadline()
            )
        )


class StockBarsView(MarketDataView):
    @extend_schema(
        summary="Daily bars the indicators were computed from",
        parameters=[SYMBOL_PARAM, REFRESH_PARAM, s.BarsQuerySerializer],
        responses={200: s.BarsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, symbol: str) -> Response:
        normalized = normalize_symbol(symbol)
        query = _query(s.BarsQuerySerializer, _only(request, "days"))
        return Response(
            services.stock_bar_history(
                normalized,
                days=query.get("days"),
                force_refresh=self.force_refresh(request),
                deadline=self.deadline(),
            )
        )


class StockOptionsView(MarketDataView):
    @extend_schema(
        summary="Analysed options chain with ATM IV, IV rank and DTE buckets",
        description=(
            "Contracts of the two fetched windows (0–60 DTE calls and puts; 365–900 DTE calls). "
            "Filters outside them return what exists; `windows` says what was fetched. "
            "Delta filters compare absolute deltas."
        ),
        parameters=[SYMBOL_PARAM, REFRESH_PARAM, s.OptionsQuerySerializer],
        responses={200: s.OptionsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, symbol: str) -> Response:
        normalized = normalize_symbol(symbol)
        query = _query(
            s.OptionsQuerySerializer, _only(request, "min_dte", "max_dte", "type", "min_delta", "max_delta")
        )
        filters = services.ChainFilter(
            min_dte=query.get("min_dte"),
            max_dte=query.get("max_dte"),
            contract_type=query.get("type"),
            min_delta=query.get("min_delta"),
            max_delta=query.get("max_delta"),
        )
        return Response(
            services.options_overview(
                normalized,
                filters=filters,
                force_refresh=self.force_refresh(request),
                deadline=self.deadline(),
            )
        )


class StockSignalsView(MarketDataView):
    @extend_schema(
        summary="Ranked CSP, covered call, LEAPS and PMCC candidates",
        parameters=[SYMBOL_PARAM, REFRESH_PARAM, s.SignalsQuerySerializer],
        responses={200: s.SignalsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, symbol: str) -> Response:
        normalized = normalize_symbol(symbol)
        query = _query(s.SignalsQuerySerializer, _only(request, "strategy", "include_earnings"))
        return Response(
            services.signals_overview(
                normalized,
                shares_held=shares_held(request.user, normalized),
                strategy_names=query.get("strategy") or list(strategies.STRATEGIES),
                include_earnings=query["include_earnings"],
                force_refresh=self.force_refresh(request),
                deadline=self.deadline(),
            )
        )


class StockEarningsView(MarketDataView):
    @extend_schema(
        summary="Next earnings date and every upcoming one",
        parameters=[SYMBOL_PARAM, REFRESH_PARAM],
        responses={200: s.EarningsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, symbol: str) -> Response:
        normalized = normalize_symbol(symbol)
        return Response(
            services.earnings_overview(
                normalized, force_refresh=self.force_refresh(request), deadline=self.deadline()
            )
        )


class OptionQuoteView(MarketDataView):
    @extend_schema(
        summary="Live price, quote and greeks of one option contract",
        parameters=[
            OpenApiParameter(
                "option_ticker",
                {"type": "string", "pattern": occ.QUOTABLE_PATTERN},
                OpenApiParameter.PATH,
                description=(
                    "OCC ticker as Massive writes it, e.g. O:AAPL261218C00200000. A date that does "
                    "not exist or a zero strike is a 400."
                ),
            ),
            REFRESH_PARAM,
        ],
        responses={200: s.OptionQuoteSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, option_ticker: str) -> Response:
        return Response(
            services.option_quote(
                option_ticker, force_refresh=self.force_refresh(request), deadline=self.deadline()
            )
        )


class ValidateTickerView(MarketDataView):
    @extend_schema(
        summary="Ask the provider whether a symbol exists",
        request=s.ValidateTickerRequestSerializer,
        responses={200: s.ValidateTickerResponseSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        serializer = s.ValidateTickerRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        symbol = serializer.validated_data["symbol"]
        return Response(
            {"symbol": symbol, "valid": services.ticker_validate(symbol, deadline=self.deadline())}
        )
