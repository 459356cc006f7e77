"""Stock splits in the sandbox: the one inside the generated history and the ones tests make happen.

A symbol's generated walk (`data`) is one continuous price level, and splits say what the raw
prices were around it:

- a split in `HISTORY` happened at the walk's level: raw prices before its execution date were
  `ratio` times the walk (AVGO traded near ten times its walk until its 10-for-1 of 2024-07-15);
- a live split (the control API's `split`) happens *to* the walk: from its execution date on,
  raw prices are the walk divided by `ratio`.

Either way the bars as of `today`, adjusted for every split executed by then, are the walk times
one factor, `level(symbol, today, live)`, and the raw bar of a session is the walk times that
session's own factor, `level(symbol, session, live)`. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Split:
    """One split: `split_to` new shares for every `split_from` old ones, from `execution_date` on."""

    ticker: str
    execution_date: date
    split_from: float
    split_to: float
    live: bool = False  # made to happen by the control API: the walk is the level before it

    @property
    def ratio(self) -> float:
        """How many times cheaper a share is from the execution date on (10 for a 10-for-1)."""
        return self.split_to / self.split_from

    @property
    def id(self) -> str:
        """A stable identifier in the provider's style ("E" and 64 hex digits)."""
        key = f"{self.ticker}|{self.execution_date.isoformat()}|{self.split_from}|{self.split_to}"
        return "E" + hashlib.sha256(key.encode()).hexdigest()

    def wire(self) -> dict[str, Any]:
        """The record `/v3/reference/splits` answers (exactly the keys the client's model takes)."""
        return {
            "execution_date": self.execution_date.isoformat(),
            "id": self.id,
            "split_from": _number(self.split_from),
            "split_to": _number(self.split_to),
            "ticker": self.ticker,
        }


def _number(value: float) -> float | int:
    """Ratios as the provider writes them: 1, 10, 1.5."""
    return int(value) if float(value).is_integer() else value


# Splits inside the generated history. AVGO's 10-for-1 is the real one (Broadcom, July 2024);
# the walk sits at today's (post-split) price level, so adjusted history is continuous.
HISTORY: tuple[Split, ...] = (Split("AVGO", date(2024, 7, 15), 1, 10),)


def level(symbol: str, day: date, live: Iterable[Split] = ()) -> float:
    """The factor from the symbol's walk to its prices as of `day` (1.0 for most symbols).

    As of `today` it turns the walk into today's adjusted prices; as of a session's own date,
    into that session's raw prices.
    """
    factor = 1.0
    for split in (*HISTORY, *live):
        if split.ticker != symbol:
            continue
        if split.live and split.execution_date <= day:
            factor /= split.ratio
        elif not split.live and split.execution_date > day:
            factor *= split.ratio
    return factor


def executed(today: date, live: Iterable[Split] = ()) -> list[Split]:
    """Every split executed on or before `today`, history first, then the live ones in order."""
    return [split for split in (*HISTORY, *live) if split.execution_date <= today]


def of_symbol(symbol: str, live: Iterable[Split]) -> tuple[Split, ...]:
    """The live splits of one symbol (a hashable cache key)."""
    return tuple(split for split in live if split.ticker == symbol)
