"""The one place errors become HTTP: `{"error": {"code", "message", "details"}}`.

DRF calls `api_exception_handler` for exceptions raised in API views; the JSON 404/405/500
views below cover what happens outside DRF under /api/.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DEFAULT_RETRY_AFTER, MojoError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the JSON error body every /api/ error uses."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _retry_after_header(seconds: float | None) -> str:
    return str(max(1, math.ceil(seconds if seconds is not None else DEFAULT_RETRY_AFTER)))


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {str(k): v for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def _mojo_error_response(exc: MojoError) -> Response:
    status = exc.status_code or 500
    if exc.log_level is not None:  # an error an operator must act on, e.g. a rejected key
        logger.log(exc.log_level, "%s: %s", exc.code, exc.message)
    response = Response(error_body(exc.code, exc.message, exc.details), status=status)
    if status == 503 or exc.retry_after is not None:
        response["Retry-After"] = _retry_after_header(exc.retry_after)
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn any exception raised in a DRF view into the JSON error body."""
    if isinstance(exc, MojoError):
        set_rollback()
        return _mojo_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", "Invalid input.", details), status=400)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None  # a bug: let Django log it and answer 500 (JSON, see server_error)
    set_rollback()
    headers: dict[str, str] = {}
    if isinstance(exc, drf_exceptions.Throttled):
        headers["Retry-After"] = _retry_after_header(getattr(exc, "wait", None))
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        # DRF answers 403 when no authenticator offers a challenge; anonymous is 401 here.
        exc.status_code = 401
        headers["WWW-Authenticate"] = 'Token realm="api"'
    if isinstance(exc, drf_exceptions.ValidationError):
        code, message, details = "invalid", "Invalid input.", _validation_details(exc.detail)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message, details = str(exc.detail), {}
    return Response(error_body(code, message, details), status=exc.status_code, headers=headers)


@csrf_exempt  # it only answers 404; without this, unsafe methods get the CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer unknown URLs under /api/ with the JSON error body."""
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> Any:
    """JSON 400 under /api/ (e.g. too many query fields), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception or Exception())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> Any:
    """JSON 404 under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found as django_page_not_found

    return django_page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> Any:
    """JSON 500 under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal server error."), status=500)
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)
