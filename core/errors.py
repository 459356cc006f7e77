"""The base of mojo's one error hierarchy: each error knows its HTTP status and stable code.

The apps define their errors as subclasses (`marketdata.exceptions`); `core.exception_handler`
is the only place any of them becomes an HTTP response.
"""

from __future__ import annotations

from typing import Any

# Default Retry-After (seconds) for 503s whose cause gave none.
DEFAULT_RETRY_AFTER = 30


class MojoError(Exception):
    """Base of every domain error mojo raises on purpose.

    `log_level`, when set, makes the exception handler log the error at that level: for
    errors an operator must act on (a rejected provider key), not for a user's bad input.
    """

    status_code: int | None = 500
    code: str = "error"
    default_message: str = "Something went wrong."
    log_level: int | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        self.retry_after = retry_after
        super().__init__(self.message)


def error_for_code(code: str) -> MojoError:
    """An error of the class whose code is `code` (a plain MojoError when none has it).

    For an error that crossed a process boundary as its code (a task's result): the receiver
    gets the class, so the cache's "serve stale on a provider failure" rules still apply.
    """
    pending: list[type[MojoError]] = [MojoError]
    while pending:
        kind = pending.pop(0)
        if kind.code == code:
            return kind()
        pending.extend(kind.__subclasses__())
    error = MojoError()
    error.code = code
    return error
