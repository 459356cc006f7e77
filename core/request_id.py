"""Request ids: one id per request on every log line and on the response (X-Request-ID).

`RequestIDMiddleware` takes the caller's X-Request-ID when it is safe, or makes one, and
echoes it back; `RequestIDLogFilter` stamps it on log records. LOGGING attaches the filter
(and `core.redaction.RedactSecretsFilter`) to the console handler.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Accept a caller's id only when it is short and plain, so it cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Where the id is kept on the request, for log lines Django writes after the middleware ran
# (the handler logs "Not Found: ..." once the whole middleware chain has returned).
REQUEST_ID_META_KEY = "mojo.request_id"


class RequestIDMiddleware:
    """Take X-Request-ID from the caller (when safe) or make one; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.META[REQUEST_ID_META_KEY] = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIDLogFilter(logging.Filter):
    """Put the current request id on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            meta = getattr(request, "META", None)
            from_request = meta.get(REQUEST_ID_META_KEY) if isinstance(meta, dict) else None
            record.request_id = from_request or request_id_var.get()
        return True
