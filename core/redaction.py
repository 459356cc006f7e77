"""Log hygiene: no provider key, `apikey=` parameter or bearer token in any log line.

`redact()` scrubs a text; `RedactSecretsFilter` applies it to every record the console
handler writes (LOGGING attaches it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from django.conf import settings

REDACTED = "[REDACTED]"
# Settings whose values must never appear in a log line.
SECRET_SETTINGS = ("MASSIVE_API_KEY", "FMP_API_KEY", "METRICS_BEARER_TOKEN")
# Shorter values would blank out ordinary words; no real key is this short.
_MIN_SECRET_LENGTH = 4
_SECRET_PATTERNS = (
    # FMP puts its key in the query string: apikey=...; Massive's SDK accepts apiKey=...
    re.compile(r"(?i)(api[_-]?key=)[^&\s'\"<>]+"),
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


def redact(text: str, secrets: Iterable[str] | None = None, *, marker: str = REDACTED) -> str:
    """Return `text` with secret values, `apikey=` parameters and bearer tokens replaced by `marker`.

    `secrets` defaults to the configured provider keys and metrics token.
    """
    for secret in secret_values() if secrets is None else secrets:
        if secret:
            text = text.replace(secret, marker)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(rf"\g<1>{marker}", text)
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
