"""REST endpoints for the requesting user's alerts and alert channels.

Each view validates input with a serializer, calls one service and serializes; another
user's alert is a 404. Errors become JSON in core.exception_handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketdata import clock
from watchlist import alert_settings, alerts, selectors
from watchlist.alert_serializers import (
    AlertFilterSerializer,
    AlertSerializer,
    AlertSettingsSerializer,
    AlertSettingsUpdateSerializer,
)
from watchlist.models import Alert
from watchlist.request_owner import request_owner
from watchlist.serializers import error_responses

if TYPE_CHECKING:
    pass


@extend_schema(tags=["alerts"])
class AlertListView(GenericAPIView[Alert]):
    serializer_class = AlertSerializer

    @extend_schema(
        operation_id="alerts_list",
        summary="The requesting user's alerts, newest first",
        parameters=[AlertFilterSerializer],
        responses={200: AlertSerializer(many=True), **error_responses(400, 401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        filters = AlertFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.alerts_for(request_owner(request), **filters.validated_data))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)


@extend_schema(tags=["alerts"])
class AlertDismissView(GenericAPIView[Alert]):
    serializer_class = AlertSerializer

    @extend_schema(
        operation_id="alerts_dismiss",
        summary="Dismiss an alert (it leaves the dashboard; dismissing again changes nothing)",
        request=None,
        responses={200: AlertSerializer, **error_responses(401, 404, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        alert = get_object_or_404(selectors.alerts_for(request_owner(request)), pk=pk)
        return Response(AlertSerializer(alerts.alert_dismiss(alert=alert, now=clock.now())).data)


@extend_schema(tags=["alerts"])
class AlertSettingsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="alert_settings_retrieve",
        summary="The requesting user's alert channels",
        responses={200: AlertSettingsSerializer, **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            AlertSettingsSerializer(alert_settings.alert_settings_of(request_owner(request))).data
        )

    @extend_schema(
        operation_id="alert_settings_update",
        summary="Replace the alert channels (a new webhook secret is shown once, in this answer)",
        request=AlertSettingsUpdateSerializer,
        responses={200: AlertSettingsSerializer, **error_responses(400, 401, 415, 429)},
    )
    def put(self, request: Request) -> Response:
        serializer = AlertSettingsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = alert_settings.alert_settings_save(
            user=request_owner(request), now=clock.now(), **serializer.service_kwargs()
        )
        body = AlertSettingsSerializer(saved.settings, context={"new_secret": saved.new_secret}).data
        return Response(body)
