"""Request ids and log hygiene: an id on every log line and response, no secret in any line.

`RequestIDMiddleware` gives each request an id (the caller's X-Request-ID when it is safe);
`RequestIDLogFilter` stamps it on log records and `RedactSecretsFilter` scrubs provider keys,
`apikey=` query parameters and bearer tokens. LOGGING attaches both filters to the console
handler.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
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


REDACTED = "[REDACTED]"
# Settings whose values must never appear in a log line.
SECRET_SETTINGS = ("MASSIVE_API_KEY", "FMP_API_KEY", "METRICS_BEARER_TOKEN")
# Shorter values would blank out ordinary words; no real key is this short.
_MIN_SECRET_LENGTH = 4
_SECRET_PATTERNS = (
    # FMP puts its key in the query string: apikey=...; Massive's SDK accepts apiKey=...
    re.compile(r"(?i)(api[_-]?key=)[^&\s'\"]+"),
    # Massive's key travels as `Authorization: Bearer <key>`.
    re.compile(r"(?i)(\bbearer\s+)[^\s'\",}]+"),
)
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}
_TRACEBACK_FORMATTER = logging.Formatter()


def secret_values() -> list[str]:
    """Return the configured secret values long enough to redact safely."""
    if not settings.configured:
        return []
    values = (getattr(settings, name, "") for name in SECRET_SETTINGS)
    return [v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LENGTH]


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """Return `text` with secret values, `apikey=` parameters and bearer tokens replaced."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Scrub secrets from a record's message, arguments, traceback and extra fields.

    Defense in depth: code should never log a key, but URLs with `apikey=` end up in
    exception texts. The traceback is formatted here, redacted and kept as `exc_text`
    (`exc_info` is cleared so no formatter renders the raw one again).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secret_values()
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; keep its pieces, redacted
            message = f"{record.msg} (unformattable arguments: {record.args!r})"
        redacted = redact(message, secrets)
        if redacted != message or not isinstance(record.msg, str):
            record.msg, record.args = redacted, ()
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, redact(value, secrets))
        return True
