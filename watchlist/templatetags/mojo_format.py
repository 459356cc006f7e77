"""Number formats the admin's market-data pages share: prices, money, volatility as a percent."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

DASH = "—"


@register.filter
def vol_percent(fraction: float | None, digits: int = 1) -> str:
    """An annualised volatility (0.253) as the percent a trader reads ("25.3 %"); a dash for null."""
    if fraction is None:
        return DASH
    return f"{100 * fraction:.{digits}f} %"


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    return float(value)  # type: ignore[arg-type]


@register.filter
def price(value: Decimal | float | None) -> str:
    """A per-share price with 2 to 4 decimals (option mids have half cents): "4.10", "1.515"."""
    if value is None:
        return DASH
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    whole, _, fraction = f"{exact.quantize(Decimal('0.0001')) + 0:,f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


@register.filter
def money(value: object) -> str:
    """Dollars to the cent; a loss under half a cent is 0.00, not −0.00."""
    number = _number(value)
    if number is None:
        return DASH
    cents = round(number, 2)
    return f"{cents + 0.0:.2f}" if cents else "0.00"
