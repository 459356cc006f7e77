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
