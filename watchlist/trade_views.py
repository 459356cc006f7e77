"""REST endpoints for the requesting user's trades: open, list, read, notes, roll, assign, close.

A trade is shown with its legs' valuations, its figures and the management signals firing now.

Each view validates input with a serializer, calls one service or selector and serializes the
trade; another user's trade is a 404. Errors become JSON in core.exception_handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.deadline import Deadline
from watchlist import alerts, selectors, trade_analysis, trades
from watchlist.models import Trade
from watchlist.request_owner import request_owner
from watchlist.serializers import error_responses
from watchlist.trade_serializers import (
    TradeAssignSerializer,
    TradeCloseSerializer,
    TradeFilterSerializer,
    TradeOpenSerializer,
    TradeRollSerializer,
    TradeSerializer,
    TradeUpdateSerializer,
)

if TYPE_CHECKING:
    pass


def _shown(found: list[Trade]) -> list[Trade]:
    """Attach each trade's legs with their live valuations, its figures and signals, for the serializer."""
    assessed = trade_analysis.trades_assessed(found, fetch_missing=True, deadline=Deadline.for_request())
    since = alerts.signal_since(found)
    for trade in found:
        trade.figures = assessed.figures[trade.pk]  # type: ignore[attr-defined]
        trade.signals = [  # type: ignore[attr-defined]
            {"code": s.code, "message": s.message, "since": since.get((trade.pk, s.code))}
            for s in assessed.signals[trade.pk]
        ]
        trade.valued_legs = []  # type: ignore[attr-defined]
        for leg in sorted(trade.legs.all(), key=lambda leg: (leg.opened_at, leg.pk)):
            leg.valuation = assessed.valuations[leg.pk]  # type: ignore[attr-defined]
            trade.valued_legs.append(leg)  # type: ignore[attr-defined]
    return found


def _trade_body(trade: Trade) -> dict[str, Any]:
    fresh = selectors.trades_for(trade.owner).get(pk=trade.pk)  # legs as they now are
    return dict(TradeSerializer(_shown([fresh])[0]).data)


@extend_schema(tags=["trades"])
class TradeListView(GenericAPIView[Trade]):
    serializer_class = TradeSerializer
    parser_classes = [JSONParser]  # legs are nested: a JSON body only

    @extend_schema(
        operation_id="trades_list",
        summary="The requesting user's trades, newest first, with every leg",
        parameters=[TradeFilterSerializer],
        responses={200: TradeSerializer(many=True), **error_responses(400, 401, 404, 429, 503)},
    )
    def get(self, request: Request) -> Response:
        filters = TradeFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.trades_for(request_owner(request), **filters.validated_data))
        return self.get_paginated_response(TradeSerializer(_shown(list(page or [])), many=True).data)

    @extend_schema(
        operation_id="trades_open",
        summary="Open a trade with its legs (held to the strategy's leg rules)",
        request=TradeOpenSerializer,
        responses={201: TradeSerializer, **error_responses(400, 401, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        serializer = TradeOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        trade = trades.trade_open(user=request_owner(request), **serializer.service_kwargs())
        return Response(_trade_body(trade), status=status.HTTP_201_CREATED)


class _OwnTrade(GenericAPIView[Trade]):
    serializer_class = TradeSerializer
    parser_classes = [JSONParser]  # nested bodies: JSON only (a form body is a 415)

    def get_object(self) -> Trade:
        """The requesting user's trade; anyone else's is a 404, never a 403."""
        return get_object_or_404(selectors.trades_for(request_owner(self.request)), pk=self.kwargs["pk"])


@extend_schema(tags=["trades"])
class TradeDetailView(_OwnTrade):
    @extend_schema(
        operation_id="trades_retrieve",
        responses={200: TradeSerializer, **error_responses(401, 404, 429, 503)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(TradeSerializer(_shown([self.get_object()])[0]).data)

    @extend_schema(
        operation_id="trades_update",
        summary="Change a trade's notes",
        request=TradeUpdateSerializer,
        responses={200: TradeSerializer, **error_responses(400, 401, 404, 429)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        trade = self.get_object()
        serializer = TradeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "notes" in serializer.validated_data:
            trade = trades.trade_notes_set(trade=trade, notes=serializer.validated_data["notes"])
        return Response(_trade_body(trade))


@extend_schema(tags=["trades"])
class TradeRollView(_OwnTrade):
    @extend_schema(
        operation_id="trades_roll",
        summary="Close some legs at exit prices and open new ones, in one step",
        request=TradeRollSerializer,
        responses={200: TradeSerializer, **error_responses(400, 401, 404, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        trade = self.get_object()
        serializer = TradeRollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(_trade_body(trades.trade_roll(trade=trade, **serializer.service_kwargs())))


@extend_schema(tags=["trades"])
class TradeAssignView(_OwnTrade):
    @extend_schema(
        operation_id="trades_assign",
        summary="An option leg assigned (short) or exercised (long): shares move at the strike",
        request=TradeAssignSerializer,
        responses={200: TradeSerializer, **error_responses(400, 401, 404, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        trade = self.get_object()
        serializer = TradeAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            _trade_body(trades.trade_assign(trade=trade, leg_id=serializer.validated_data["leg"]))
        )


@extend_schema(tags=["trades"])
class TradeCloseView(_OwnTrade):
    @extend_schema(
        operation_id="trades_close",
        summary="Close every open leg at its exit price",
        request=TradeCloseSerializer,
        responses={200: TradeSerializer, **error_responses(400, 401, 404, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        trade = self.get_object()
        serializer = TradeCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closed = trades.trade_close(trade=trade, exit_prices=serializer.validated_data["exit_prices"])
        return Response(_trade_body(closed))
