"""The chain board's cells: one side of a row, the call's read outward-in, the put's inward-out.

Each cell carries its contract (`data-option-ticker`), its field and the API's value
(`data-value`); its text is that value as a trader reads it (IV as a percent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from watchlist.templatetags.mojo_format import DASH, vol_percent

register = template.Library()

# Nearest the strike last for calls: the board reads calls | strike | puts.
CALL_FIELDS = ("signal", "open_interest", "delta", "iv", "mid")
PUT_FIELDS = tuple(reversed(CALL_FIELDS))


def _text(field: str, value: Any) -> str:
    if value is None:
        return DASH
    return vol_percent(value) if field == "iv" else str(value)


@register.simple_tag
def chain_side(cell: Mapping[str, Any] | None, side: str) -> SafeString:
    """The five cells of `side` ("call" or "put") of a board row; one empty cell when it has no contract."""
    if cell is None:
        return format_html('<td class="{}-side empty" colspan="{}">{}</td>', side, len(CALL_FIELDS), DASH)
    classes = " ".join(
        name
        for name, on in (
            (f"{side}-side", True),
            ("contract", True),
            ("itm", cell["in_the_money"]),
            ("recommended", bool(cell["recommended"])),
        )
        if on
    )
    badges = format_html_join(
        "",
        '<span class="mojo-badge" data-strategy="{}" data-side="{}">{}</span>',
        ((r["strategy"], r["side"], r["label"]) for r in cell["recommended"]),
    )
    cells = []
    for field in CALL_FIELDS if side == "call" else PUT_FIELDS:
        if field == "signal":
            cells.append(
                format_html(
                    '<td class="{} signal" data-option-ticker="{}" data-field="signal">{}</td>',
                    classes,
                    cell["option_ticker"],
                    badges,
                )
            )
            continue
        value = cell[field]
        cells.append(
            format_html(
                '<td class="{}" data-option-ticker="{}" data-field="{}" data-value="{}">{}</td>',
                classes,
                cell["option_ticker"],
                field,
                "" if value is None else value,
                _text(field, value),
            )
        )
    return format_html_join("", "{}", ((c,) for c in cells))
