"""An error that crossed a process boundary as its code comes back as its class."""

from __future__ import annotations

from core.errors import MojoError, error_for_code
from marketdata.exceptions import ProviderError, TickerNotFound


def test_a_code_gives_back_an_error_of_its_class() -> None:
    assert type(error_for_code(TickerNotFound.code)) is TickerNotFound
    assert isinstance(error_for_code(ProviderError.code), ProviderError)  # the cache serves stale for it


def test_an_unknown_code_is_kept_on_a_plain_error() -> None:
    error = error_for_code("no_such_code")

    assert type(error) is MojoError and error.code == "no_such_code"
