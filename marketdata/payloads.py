"""What a fetch stores: the stock data payload from daily bars, the chain payload from contracts.

Pure: plain values in, plain dicts out (the cached payloads); indicators and chain analytics
are computed here once, at fetch time, so a cached read never computes them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, TypedDict

from core.shapes import IsoDate
from marketdata import expected_move, indicators, option_analytics, presentation, strategies
from marketdata.domain import ContractType, DailyBar, OptionSnapshot, TickerDetails

# The chain summary's fields, written to their own key for dashboards (a summary cached before
# a field was added lacks it: readers `.get` it).
SUMMARY_KEYS = ("spot", "atm_iv", "signal_expirations", "expected_move", "as_of_date")


def stock_payload(
    symbol: str,
    bars: Sequence[DailyBar],
    *,
    details: TickerDetails | None = None,
    dividends: Sequence[tuple[date, float]] = (),
    dividend_schedule: Sequence[tuple[date, float]] = (),
) -> dict[str, Any]:
    """A stock data entry: latest price, change, the indicators of the bars, name, type and dividends.

    Only ever shown, so it is stored as shown (`presentation.rounded`): a cached read
    serves it without rounding it again. `dividends` are the upcoming declared ones (ex-date,
    cash amount): the next one is picked when the entry is read, as it may go ex meanwhile.
    `dividend_schedule` adds the projected ones (`marketdata.dividend_schedule`): what the
    option models expect, read by the chain's fetch without a query of its own.
    """
    latest = bars[-1]
    previous = bars[-2] if len(bars) > 1 else None
    change = latest.close - previous.close if previous else None
    return presentation.rounded(
        {
            "symbol": symbol,
            "price": latest.close,
            "change": change,
            "change_percent": 100 * change / previous.close if previous and change is not None else None,
            "session": latest.session.isoformat(),
            "bars_from": bars[0].session.isoformat(),
            "bars_to": latest.session.isoformat(),
            "indicators": indicators.compute_indicators(bars),
            "name": details.name if details is not None else None,
            "type": details.type if details is not None else None,
            "dividends": [[ex_date.isoformat(), amount] for ex_date, amount in dividends],
            "dividend_schedule": [[ex_date.isoformat(), amount] for ex_date, amount in dividend_schedule],
        }
    )


SHORT_WINDOW_DAYS = (0, 60)  # calls and puts: CSP, covered calls, PMCC short legs
LONG_WINDOW_DAYS = (365, 900)  # calls only: LEAPS and PMCC long legs


# "from" is a Python keyword, hence the functional form.
Window = TypedDict(
    "Window",
    {"from": IsoDate, "to": IsoDate, "min_dte": int, "max_dte": int, "contract_type": ContractType | None},
)


def chain_windows(today: date) -> list[Window]:
    """The two windows of the spec's filtered chain calls, as the options payload shows them."""
    return [
        {
            "from": (today + timedelta(days=SHORT_WINDOW_DAYS[0])).isoformat(),
            "to": (today + timedelta(days=SHORT_WINDOW_DAYS[1])).isoformat(),
            "min_dte": SHORT_WINDOW_DAYS[0],
            "max_dte": SHORT_WINDOW_DAYS[1],
            "contract_type": None,
        },
        {
            "from": (today + timedelta(days=LONG_WINDOW_DAYS[0])).isoformat(),
            "to": (today + timedelta(days=LONG_WINDOW_DAYS[1])).isoformat(),
            "min_dte": LONG_WINDOW_DAYS[0],
            "max_dte": LONG_WINDOW_DAYS[1],
            "contract_type": "call",
        },
    ]


def chain_payload(
    symbol: str,
    contracts: Sequence[OptionSnapshot],
    *,
    spot: float | None,
    today: date,
    rate: float,
    thresholds: strategies.StrategyThresholds,
    dividends: Sequence[tuple[date, float]] = (),
) -> dict[str, Any]:
    """A chain entry: the contracts, with ATM IV, the expected move and the candidates by expiration
    computed once, at fetch time (`strategies.signal_counts` applies the earnings date when they
    are read, `expected_move.expected_move_on` the day). `dividends` (ex-date, cash) are what
    the American model counts where it fills in IV and greeks."""
    analysed = (
        [
            option_analytics.analyze_contract(c, spot=spot, today=today, rate=rate, dividends=dividends)
            for c in contracts
        ]
        if spot
        else []
    )
    atm = option_analytics.atm_iv(analysed, spot=spot) if spot else None
    expirations: strategies.CandidateExpirations = {}
    if spot and analysed:
        expirations = strategies.candidate_expirations(
            analysed, spot=spot, today=today, thresholds=thresholds
        )
    return {
        "symbol": symbol,
        "spot": spot,
        "as_of_date": today.isoformat(),
        "windows": chain_windows(today),
        "atm_iv": atm,
        "signal_expirations": expirations,
        "expected_move": expected_move.expected_move(analysed, spot=spot),
        "dividends": [[ex_date.isoformat(), amount] for ex_date, amount in dividends],
        "contracts": [c.to_payload() for c in contracts],
    }


def dividend_pairs(rows: Sequence[Sequence[Any]] | None) -> list[tuple[date, float]]:
    """(ex-date, cash) pairs from an entry's `[[iso date, amount], …]` (none in an older entry)."""
    return [(date.fromisoformat(ex_date), float(amount)) for ex_date, amount in rows or ()]


def chain_dividends(payload: Mapping[str, Any]) -> list[tuple[date, float]]:
    """The expected dividends a chain entry was analysed with."""
    return dividend_pairs(payload.get("dividends"))
