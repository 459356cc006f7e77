"""The cash dividends an option's model expects before its expiration: declared, then projected.

Pure computation (no Django); `today` is passed in. A symbol declares its next dividend or two;
an option living past them expects more. The rule, as pricing desks use it absent a forecast:
each regular dividend beyond the last declared one repeats that one's amount at its frequency
(4 a year: every three months). Special and one-time dividends are never projected.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# Dividend types that recur (Massive's codes): CD is a regular cash dividend.
REGULAR = "CD"
# Payments a year a projection may step by; 0 (one-time) and anything else is not projected.
PROJECTED_FREQUENCIES = (1, 2, 4, 12)


@dataclass(frozen=True, slots=True)
class DeclaredDividend:
    """A stored dividend: its ex-date, cash per share, payments a year (None unknown) and type."""

    ex_dividend_date: date
    cash_amount: float
    frequency: int | None
    dividend_type: str


def dividend_schedule(
    declared: Sequence[DeclaredDividend], *, today: date, until: date
) -> list[tuple[date, float]]:
    """Ex-dates after `today` through `until` with their cash per share, soonest first.

    The declared ones in that window, then the last declared regular dividend repeated at its
    frequency, starting one period after its ex-date (whether that was before today or not).
    """
    schedule = {
        d.ex_dividend_date: d.cash_amount
        for d in declared
        if today < d.ex_dividend_date <= until and d.cash_amount > 0
    }
    regular = [d for d in declared if d.dividend_type == REGULAR and d.cash_amount > 0]
    if regular:
        last = max(regular, key=lambda d: d.ex_dividend_date)
        if last.frequency in PROJECTED_FREQUENCIES:
            months = 12 // last.frequency
            step = 1
            while (ex_date := add_months(last.ex_dividend_date, months * step)) <= until:
                if ex_date > today:
                    schedule.setdefault(ex_date, last.cash_amount)
                step += 1
    return sorted(schedule.items())


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
