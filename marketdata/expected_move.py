"""The move a chain prices to the nearest standard monthly expiration, by ATM IV and by straddle.

Pure computation (no Django); `today` is passed in. Computed once, when a chain is fetched
and analysed (`marketdata.payloads`), and kept in the chain's summary for dashboards. The
expiration is the nearest standard monthly (`market_hours.standard_monthly_expiration`)
among those the chain holds, at least a day away. ATM is its strike nearest spot that has
both a call and a put (a tie goes to the lower strike; adjusted contracts, whose deliverable
is not 100 shares, are left out). Each figure needs both legs:

- by_iv = spot × ATM IV × √(DTE / 365), ATM IV the mean of the call's and the put's IV;
- by_straddle = call mid + put mid (a mid needs a bid and an ask).

Prices per share; an old summary without the figure reads as none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Protocol, TypedDict

from typing_extensions import Doc

from core.shapes import IsoDate
from marketdata import market_hours
from marketdata.option_analytics import DAYS_PER_YEAR

STANDARD_MULTIPLIER = 100


class ExpectedMove(TypedDict):
    """± dollars per share the options price to the nearest standard monthly expiration."""

    expiration: Annotated[IsoDate, Doc("The nearest standard monthly expiration at least a day away.")]
    dte: int
    by_iv: Annotated[float | None, Doc("Spot × ATM IV × √(DTE / 365); null without both legs' IV.")]
    by_straddle: Annotated[
        float | None, Doc("The ATM straddle's mid: call mid + put mid; null without both mids.")
    ]


class MoveContract(Protocol):
    """What the expected move reads of a contract (an AnalysedContract has it all)."""

    @property
    def contract_type(self) -> str: ...
    @property
    def strike(self) -> float: ...
    @property
    def expiration(self) -> date: ...
    @property
    def dte(self) -> int: ...
    @property
    def iv(self) -> float | None: ...
    @property
    def mid(self) -> float | None: ...
    @property
    def multiplier(self) -> int: ...


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 and math.isfinite(value) else None


def nearest_monthly(contracts: Sequence[MoveContract]) -> tuple[date, int] | None:
    """The nearest standard monthly expiration the contracts hold at DTE ≥ 1, and its DTE."""
    monthly = {
        (c.expiration, c.dte)
        for c in contracts
        if c.dte >= 1
        and c.expiration == market_hours.standard_monthly_expiration(c.expiration.year, c.expiration.month)
    }
    return min(monthly) if monthly else None


def expected_move(contracts: Sequence[MoveContract], *, spot: float | None) -> ExpectedMove | None:
    """The chain's expected move (module docstring); None without spot, a monthly or an ATM strike."""
    standard = [c for c in contracts if c.multiplier == STANDARD_MULTIPLIER]
    nearest = nearest_monthly(standard)
    if nearest is None or spot is None or _positive(spot) is None:
        return None
    expiration, dte = nearest
    legs: dict[float, dict[str, MoveContract]] = {}
    for contract in standard:
        if contract.expiration == expiration:
            legs.setdefault(contract.strike, {}).setdefault(contract.contract_type, contract)
    straddles = [strike for strike, sides in legs.items() if {"call", "put"} <= sides.keys()]
    if not straddles:
        return None
    strike = min(straddles, key=lambda k: (abs(k - spot), k))
    call, put = legs[strike]["call"], legs[strike]["put"]
    call_iv, put_iv = _positive(call.iv), _positive(put.iv)
    call_mid, put_mid = _positive(call.mid), _positive(put.mid)
    by_iv = None
    if call_iv is not None and put_iv is not None:
        by_iv = spot * (call_iv + put_iv) / 2.0 * math.sqrt(dte / DAYS_PER_YEAR)
    by_straddle = call_mid + put_mid if call_mid is not None and put_mid is not None else None
    return {"expiration": expiration.isoformat(), "dte": dte, "by_iv": by_iv, "by_straddle": by_straddle}


def expected_move_on(stored: Mapping[str, Any] | None, *, today: date) -> ExpectedMove | None:
    """A stored expected move as of `today`: its DTE counted from today and by_iv scaled to it.

    A chain fetched on an earlier day still answers (cron refreshes it), the straddle as it
    was quoted then; None once the expiration is under a day away (the next chain's is another).
    """
    if not stored:
        return None
    expiration = date.fromisoformat(stored["expiration"])
    dte = (expiration - today).days
    if dte < 1:
        return None
    by_iv = stored["by_iv"]
    if by_iv is not None and dte != stored["dte"]:
        by_iv *= math.sqrt(dte / stored["dte"])  # S × IV × √(t / 365) at today's t
    return {
        "expiration": stored["expiration"],
        "dte": dte,
        "by_iv": by_iv,
        "by_straddle": stored["by_straddle"],
    }
