"""What legs each strategy holds, for trades opened through the trades API (`trades.trade_open`).

Pure: legs come as `LegSpec`s (the instrument, a parsed contract, a signed quantity, the
multiplier and the entry price per share). `strategy_errors` lists every rule the legs break,
in words a trader reads; none means they fit. Positions opened one at a time through
`/positions/` are not held to these rules (a one-leg trade is validated as positions always were).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from marketdata.occ import ParsedOption

DaysLeft = Callable[["LegSpec"], int]  # an option leg's days to expiration, from the caller's today
# LEAPS: long-dated options, as the LEAPS signals take them (a year or so out).
LEAPS_MIN_DTE = 270


@dataclass(frozen=True, slots=True)
class LegSpec:
    """One leg as the rules see it: an option has its parsed contract, shares have none."""

    option: ParsedOption | None
    quantity: int
    multiplier: int
    entry_price: Decimal

    @property
    def is_short(self) -> bool:
        return self.quantity < 0

    def is_option(self, contract_type: str) -> bool:
        return self.option is not None and self.option.contract_type == contract_type

    @property
    def shares(self) -> int:
        """Shares this leg holds or controls (signed): contracts × multiplier for options."""
        return self.quantity * self.multiplier


def _stock(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    return [] if all(leg.option is None for leg in legs) else ["A stock trade holds shares only."]


def _csp(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    if len(legs) == 1 and legs[0].is_option("put") and legs[0].is_short:
        return []
    return ["A cash-secured put is one short put."]


def _covered_call(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    calls = [leg for leg in legs if leg.is_option("call") and leg.is_short]
    shares = sum(leg.shares for leg in legs if leg.option is None)
    errors = []
    if not calls or len(calls) + sum(1 for leg in legs if leg.option is None) != len(legs):
        errors.append("A covered call is long shares and short calls, nothing else.")
    if shares < -sum(leg.shares for leg in calls):
        errors.append("A covered call holds 100 shares (the multiplier) for each short call.")
    return errors


def _wheel(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    # A wheel opened as such is at one of its steps: the short put, or the shares with their calls.
    if all(leg.option is not None for leg in legs):
        return [] if not _csp(legs, dte) else ["A wheel starts as one short put, or shares with short calls."]
    return _covered_call(legs, dte) if any(leg.option for leg in legs) else []


def _leaps(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    if not legs or any(leg.option is None or leg.is_short for leg in legs):
        return ["LEAPS are long options only."]
    if any(dte(leg) < LEAPS_MIN_DTE for leg in legs):
        return [f"LEAPS expire at least {LEAPS_MIN_DTE} days out."]
    return []


def _pmcc(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    longs = [leg for leg in legs if leg.is_option("call") and not leg.is_short]
    shorts = [leg for leg in legs if leg.is_option("call") and leg.is_short]
    if len(legs) != 2 or len(longs) != 1 or len(shorts) != 1:
        return ["A PMCC is one long call and one short call."]
    (long_leg,), (short_leg,) = longs, shorts
    assert long_leg.option is not None and short_leg.option is not None
    errors = []
    if long_leg.quantity != -short_leg.quantity:
        errors.append("A PMCC's short call is as many contracts as its long call.")
    if short_leg.option.expiration >= long_leg.option.expiration:
        errors.append("A PMCC's short call expires before its long call.")
    net_debit = long_leg.entry_price - short_leg.entry_price
    if Decimal(str(long_leg.option.strike)) + net_debit >= Decimal(str(short_leg.option.strike)):
        errors.append(
            f"A PMCC needs long strike + net debit below the short strike: {long_leg.option.strike:g} + "
            f"{net_debit:.2f} ≥ {short_leg.option.strike:g} locks in a loss if assigned."
        )
    return errors


def _vertical(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    options = [leg.option for leg in legs if leg.option is not None]
    if len(legs) != 2 or len(options) != 2:
        return ["A vertical is two options."]
    first, second = options
    errors = []
    if first.contract_type != second.contract_type or first.expiration != second.expiration:
        errors.append("A vertical's two options are of one type and one expiration.")
    if first.strike == second.strike:
        errors.append("A vertical's two options have different strikes.")
    if legs[0].quantity != -legs[1].quantity:
        errors.append("A vertical buys one option and sells the other, as many contracts each.")
    return errors


def _other(legs: Sequence[LegSpec], dte: DaysLeft) -> list[str]:
    return []


# Each trade strategy's rule (`Trade.strategy` values).
RULES: dict[str, Callable[[Sequence[LegSpec], DaysLeft], list[str]]] = {
    "stock": _stock,
    "csp": _csp,
    "covered_call": _covered_call,
    "wheel": _wheel,
    "leaps": _leaps,
    "pmcc": _pmcc,
    "vertical": _vertical,
    "other": _other,
}


def strategy_errors(strategy: str, legs: Sequence[LegSpec], *, dte: DaysLeft) -> list[str]:
    """Every rule of `strategy` the legs break (none: they fit); `dte` gives an option leg's days left."""
    if not legs:
        return ["A trade has at least one leg."]
    return RULES[strategy](legs, dte)
