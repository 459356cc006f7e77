"""Number formats the admin's market-data pages share: volatility as a percent, a dash for null."""

from __future__ import annotations

from django import template

register = template.Library()

DASH = "—"


@register.filter
def vol_percent(fraction: float | None, digits: int = 1) -> str:
    """An annualised volatility (0.253) as the percent a trader reads ("25.3 %"); a dash for null."""
    if fraction is None:
        return DASH
    return f"{100 * fraction:.{digits}f} %"


@register.filter
def or_dash(value: object) -> object:
    """The value, or a dash for null (0 stays 0, unlike `default`)."""
    return DASH if value is None else value


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    return float(value)  # type: ignore[arg-type]


@register.filter
def price(value: object) -> str:
    """A per-share price to the cent, with up to 4 decimals where it has them ("4.10", "1.515")."""
    number = _number(value)
    if number is None:
        return DASH
    text = f"{number:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{'0' if whole == '-0' else whole}.{decimals.ljust(2, '0')}" if number else "0.00"


@register.filter
def money(value: object) -> str:
    """Dollars to the cent; a loss under half a cent is 0.00, not −0.00."""
    number = _number(value)
    if number is None:
        return DASH
    cents = round(number, 2)
    return f"{cents + 0.0:.2f}" if cents else "0.00"
