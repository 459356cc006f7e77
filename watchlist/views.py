"""REST endpoints for the requesting user's watchlist and positions, and API tokens.

Each view validates input with a serializer, calls one service or selector and serializes the
result; errors become JSON in core.exception_handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.deadline import Deadline
from core.throttling import FailOpenScopedRateThrottle
from marketdata.serializers import SYMBOL_SCHEMA
from watchlist import dashboard, portfolio, selectors, services
from watchlist.models import Position, WatchlistItem
from watchlist.request_owner import request_owner
from watchlist.serializers import (
    POSITION_OPEN_SCHEMA,
    DashboardSerializer,
    PositionFilterSerializer,
    PositionInputSerializer,
    PositionSerializer,
    PositionValuedSerializer,
    TokenSerializer,
    WatchlistAddSerializer,
    WatchlistItemSerializer,
    error_responses,
)

if TYPE_CHECKING:
    pass


@extend_schema(tags=["auth"])
class AuthTokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token."""

    authentication_classes = ()
    # Password guessing is rate-limited per client address.
    throttle_classes = [FailOpenScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["watchlist"])
class WatchlistView(GenericAPIView[WatchlistItem]):
    serializer_class = WatchlistItemSerializer

    @extend_schema(
        operation_id="watchlist_list",
        summary="The requesting user's watchlist",
        responses={200: WatchlistItemSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.watchlist_for(request_owner(request)))
        return self.get_paginated_response(WatchlistItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="watchlist_add",
        summary="Add a symbol (idempotent: 201 when added, 200 when already there)",
        request=WatchlistAddSerializer,
        responses={
            201: WatchlistItemSerializer,
            200: WatchlistItemSerializer,
            **error_responses(400, 401, 429, 503),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = WatchlistAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        symbol = serializer.validated_data["symbol"]
        item, created = services.watchlist_add(user=request_owner(request), symbol=symbol)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        shown = selectors.watchlist_for(request_owner(request)).get(pk=item.pk)  # with its name as shown
        return Response(WatchlistItemSerializer(shown).data, status=code)


@extend_schema(tags=["watchlist"])
class WatchlistItemView(GenericAPIView[WatchlistItem]):
    serializer_class = WatchlistItemSerializer

    @extend_schema(
        operation_id="watchlist_remove",
        summary="Remove a symbol from the watchlist",
        parameters=[
            OpenApiParameter(
                "symbol", SYMBOL_SCHEMA, OpenApiParameter.PATH, description="e.g. AAPL or BRK.B (any case)"
            )
        ],
        responses={204: None, **error_responses(400, 401, 404, 429)},
    )
    def delete(self, request: Request, symbol: str) -> Response:
        try:
            services.watchlist_remove(user=request_owner(request), symbol=symbol)
        except WatchlistItem.DoesNotExist:
            raise NotFound(f"{symbol} is not on your watchlist.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["positions"])
class PositionListView(GenericAPIView[Position]):
    serializer_class = PositionSerializer

    @extend_schema(
        operation_id="positions_list",
        summary="The requesting user's positions, newest first",
        parameters=[PositionFilterSerializer],
        responses={200: PositionValuedSerializer(many=True), **error_responses(400, 401, 404, 429, 503)},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: a blank `?ticker=` is an error, not "no filter" as in an HTML form.
        filters = PositionFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            selectors.positions_for(request_owner(request), **filters.validated_data)
        )
        return self.get_paginated_response(PositionValuedSerializer(_valued(page or []), many=True).data)

    @extend_schema(
        operation_id="positions_open",
        summary="Open (record) a position",
        request=POSITION_OPEN_SCHEMA,
        responses={201: PositionSerializer, **error_responses(400, 401, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        serializer = PositionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        position = services.position_open(user=request_owner(request), **serializer.service_kwargs())
        return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["positions"])
class PositionDetailView(GenericAPIView[Position]):
    serializer_class = PositionSerializer

    def get_object(self) -> Position:
        """Return the requesting user's position; anyone else's is a 404, never a 403."""
        return get_object_or_404(selectors.positions_for(request_owner(self.request)), pk=self.kwargs["pk"])

    @extend_schema(
        operation_id="positions_retrieve",
        responses={200: PositionValuedSerializer, **error_responses(401, 404, 429, 503)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(PositionValuedSerializer(_valued([self.get_object()])[0]).data)

    @extend_schema(
        operation_id="positions_update",
        summary="Change a position (close it with closed_at and exit_price)",
        description="instrument, ticker and option_ticker cannot change; close the position, open another.",
        request=PositionInputSerializer,
        responses={200: PositionSerializer, **error_responses(400, 401, 404, 429)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        position = self.get_object()
        serializer = PositionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        position = services.position_update(position=position, **serializer.service_kwargs())
        return Response(PositionSerializer(position).data)

    @extend_schema(
        operation_id="positions_delete",
        responses={204: None, **error_responses(401, 404, 429)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.position_delete(position=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valued(positions: list[Position]) -> list[Position]:
    """Attach live valuations (fetched within the request budget) for the serializer."""
    valuations = portfolio.position_valuations(positions, fetch_missing=True, deadline=Deadline.for_request())
    for position in positions:
        position.valuation = valuations[position.pk]  # type: ignore[attr-defined]
    return positions


@extend_schema(tags=["dashboard"])
class DashboardView(APIView):
    @extend_schema(
        operation_id="dashboard",
        summary="Watchlist rows with market data, signal counts and expected moves; P&L and portfolio risk",
        description="Rows that fail carry their error; they never fail the page.",
        responses={200: DashboardSerializer, **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(dashboard.dashboard_for(request_owner(request), deadline=Deadline.for_request()))
