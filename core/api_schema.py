"""Shared OpenAPI pieces: the JSON error body and the error responses every endpoint documents."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid_symbol.")
    message = serializers.CharField()
    details = serializers.DictField(help_text="Field errors or context; may be empty.")


class ErrorSerializer(serializers.Serializer):
    """`{"error": {"code", "message", "details"}}` — every error under /api/."""

    error = ErrorDetailSerializer()


ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input (symbol, option ticker, parameters)."),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed (e.g. refresh without staff)."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown symbol or contract."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    502: OpenApiResponse(ErrorSerializer, description="The provider rejected mojo's key or sent garbage."),
    503: OpenApiResponse(
        ErrorSerializer, description="Provider unavailable and nothing cached; see Retry-After."
    ),
}
