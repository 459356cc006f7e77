"""Market-data errors, on `core.errors.MojoError`: each knows its HTTP status and stable code.

`core.exception_handler` is the only place these become HTTP responses. Provider clients
translate their libraries' exceptions (urllib3, massive, requests) into these at the
boundary, so nothing foreign escapes.
"""

from __future__ import annotations

import logging

from core.errors import MojoError


class InvalidSymbol(MojoError):
    """A symbol of a form no listed stock has; never sent upstream."""

    status_code = 400
    code = "invalid_symbol"
    default_message = "Invalid symbol."


class InvalidOptionTicker(MojoError):
    """An option ticker that is not OCC symbology as Massive writes it."""

    status_code = 400
    code = "invalid_option_ticker"
    default_message = "Invalid option ticker."


class UnknownSymbol(MojoError):
    """The provider does not know the symbol a user tried to store."""

    status_code = 400
    code = "unknown_symbol"
    default_message = "Unknown symbol."


class TickerNotFound(MojoError):
    """The provider says the symbol or contract is unknown (or has no data)."""

    status_code = 404
    code = "ticker_not_found"
    default_message = "Ticker not found."


class ExpirationNotListed(MojoError):
    """The cached chain lists no contract expiring on the date asked for."""

    status_code = 404
    code = "expiration_not_listed"
    default_message = "The options chain lists no contract expiring on that date."


class ProviderError(MojoError):
    """Base of failures talking to an upstream provider."""

    status_code = 503
    code = "provider_error"


class ProviderRateLimited(ProviderError):
    """The provider (or our shared throttle) says: not now."""

    status_code = 503
    code = "provider_rate_limited"
    default_message = "The market-data provider's rate limit is reached; try again later."


class ProviderUnavailable(ProviderError):
    """Network error, timeout, 5xx or the time budget spent."""

    status_code = 503
    code = "provider_unavailable"
    default_message = "The market-data provider is unavailable; try again later."


class ProviderAuthError(ProviderError):
    """The provider rejected our key: an operator problem, logged as an error."""

    status_code = 502
    code = "provider_auth_failed"
    default_message = "The market-data provider rejected mojo's credentials."
    log_level = logging.ERROR


class MalformedResponse(ProviderError):
    """The provider answered with something we cannot read."""

    status_code = 502
    code = "provider_bad_response"
    default_message = "The market-data provider sent a response mojo cannot read."


class NotEntitled(ProviderError):
    """The provider's plan does not include an endpoint (Massive's 403 NOT_AUTHORIZED "not entitled").

    Callers fall back to another endpoint or skip what needs it (`marketdata.entitlements`);
    `details["endpoint"]` names the endpoint (a key of `entitlements.ENDPOINT_PATHS`).
    """

    status_code = 502
    code = "provider_not_entitled"
    default_message = "mojo's plan with the market-data provider does not include this data."


class UnsupportedTickerType(MojoError):
    """The provider lists the symbol as a kind of security mojo does not serve (a fund type, a warrant)."""

    status_code = 400
    code = "unsupported_ticker_type"
    default_message = "mojo does not serve this kind of security."


class EarningsUnavailable(MojoError):
    """Earnings cannot be had (no key, FMP down); shown to users as "unknown", not an error."""

    status_code = None
    code = "earnings_unavailable"
    default_message = "Earnings dates are unavailable."
