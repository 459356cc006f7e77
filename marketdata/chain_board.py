"""The options-chain board: one expiration of an analysed chain as rows of calls | strike | puts.

Pure computation (no Django); `today` is passed in. The board's tabs are the chain's
expirations with their DTE; the one shown by default is the nearest a trader would sell
(`DEFAULT_MIN_DTE` days or more), or the furthest when every one is nearer. Each row is a strike
with its call and put (either may be missing), the at-the-money row the strike nearest the spot.
A contract a strategy signal recommends carries that strategy and the leg's side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TypedDict

from marketdata.option_analytics import AnalysedContract
from marketdata.strategies.rulebook import Candidate

# Below a week the premium left is mostly gamma: the board opens on the first expiration past it.
DEFAULT_MIN_DTE = 7
STRATEGY_LABELS = {"csp": "CSP", "covered_call": "Covered call", "leaps": "LEAPS", "pmcc": "PMCC"}
SIDE_LABELS = {"buy": "long", "sell": "short"}  # a spread's leg is named by the position it opens


class BoardTab(TypedDict):
    expiration: str  # ISO date
    dte: int
    contracts: int


class Recommendation(TypedDict):
    strategy: str  # a signal strategy: csp, covered_call, leaps, pmcc
    side: str  # the leg's side in that candidate: buy or sell
    label: str  # what the board shows: "CSP", "PMCC long", …


class BoardCell(TypedDict):
    option_ticker: str
    mid: float | None
    iv: float | None
    delta: float | None
    open_interest: int | None
    in_the_money: bool
    recommended: list[Recommendation]


class BoardRow(TypedDict):
    strike: float
    atm: bool
    call: BoardCell | None
    put: BoardCell | None


def board_tabs(contracts: Iterable[AnalysedContract], *, today: date) -> list[BoardTab]:
    """The chain's expirations from `today` on, nearest first, with their DTE and contract counts."""
    counts: dict[date, int] = {}
    for contract in contracts:
        if contract.expiration >= today:
            counts[contract.expiration] = counts.get(contract.expiration, 0) + 1
    return [
        {"expiration": expiration.isoformat(), "dte": (expiration - today).days, "contracts": count}
        for expiration, count in sorted(counts.items())
    ]


def default_expiration(tabs: Sequence[BoardTab], *, min_dte: int = DEFAULT_MIN_DTE) -> str | None:
    """The nearest tab at `min_dte` or more days; the furthest when all are nearer; None without tabs."""
    for tab in tabs:
        if tab["dte"] >= min_dte:
            return tab["expiration"]
    return tabs[-1]["expiration"] if tabs else None


def recommended_contracts(candidates: Mapping[str, Sequence[Candidate]]) -> dict[str, list[Recommendation]]:
    """Option ticker -> the strategies (and the leg's side) whose candidates hold it, once each."""
    found: dict[str, list[Recommendation]] = {}
    for strategy, listed in candidates.items():
        for candidate in listed:
            for leg in candidate["legs"]:
                label = STRATEGY_LABELS.get(strategy, strategy)
                if len(candidate["legs"]) > 1:
                    label = f"{label} {SIDE_LABELS.get(leg['side'], leg['side'])}"
                recommendation: Recommendation = {"strategy": strategy, "side": leg["side"], "label": label}
                held = found.setdefault(leg["option_ticker"], [])
                if recommendation not in held:
                    held.append(recommendation)
    return found


def board_rows(
    contracts: Iterable[AnalysedContract],
    *,
    expiration: date | None,
    spot: float | None,
    recommended: Mapping[str, list[Recommendation]],
) -> list[BoardRow]:
    """One row per strike of `expiration`, ascending; the strike nearest `spot` marked at the money.

    No rows without an expiration (a chain with none from today on).
    """
    by_strike: dict[float, BoardRow] = {}
    for contract in contracts:
        if contract.expiration != expiration:
            continue
        row = by_strike.setdefault(
            contract.strike, {"strike": contract.strike, "atm": False, "call": None, "put": None}
        )
        row[contract.contract_type] = _cell(contract, spot=spot, recommended=recommended)
    rows = [by_strike[strike] for strike in sorted(by_strike)]
    if rows and spot is not None:
        # Ties go to the lower strike: min keeps the first of equal distances.
        min(rows, key=lambda row: abs(row["strike"] - spot))["atm"] = True
    return rows


def recommended_count(rows: Sequence[BoardRow]) -> int:
    """How many contracts of the rows some strategy recommends."""
    return sum(1 for row in rows for cell in (row["call"], row["put"]) if cell and cell["recommended"])


def _cell(
    contract: AnalysedContract, *, spot: float | None, recommended: Mapping[str, list[Recommendation]]
) -> BoardCell:
    if spot is None:
        in_the_money = False
    elif contract.contract_type == "call":
        in_the_money = contract.strike < spot
    else:
        in_the_money = contract.strike > spot
    return {
        "option_ticker": contract.option_ticker,
        "mid": contract.mid,
        "iv": contract.iv,
        "delta": contract.delta,
        "open_interest": contract.open_interest,
        "in_the_money": in_the_money,
        "recommended": list(recommended.get(contract.option_ticker, [])),
    }
