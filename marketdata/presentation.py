"""Numbers a person can read: one rounding policy for every response and the admin.

Computation keeps full precision; only what is shown is rounded, by the field's name:
prices, levels and money per share to 4 decimals (bars as the provider sends them), money per
position to the cent, percentages and percent numbers (RSI, IV rank and percentile, `*_pct`,
`prob_otm`, the 0-100 score) to 2, volatilities to 4, greeks to 4 (gamma 6; their portfolio
totals too), betas to 4, whole numbers (counts, days, volumes averaged, trade ids) to none.
Pure: no Django.
"""

from __future__ import annotations

import math
from typing import Any, Final, TypeVar

PRICE: Final = 4  # per share: prices, levels, strikes, premiums, breakevens
MONEY: Final = 2  # per position: the cent (delta in shares: the hundredth of a share)
PERCENT: Final = 2  # percent numbers: 2.5 means 2.5 %
VOLATILITY: Final = 4  # annualised fractions: 0.3512
GREEK: Final = 4
GAMMA: Final = 6
BETA: Final = 4  # a regression slope: 1.2345
WHOLE: Final = 0
AS_SENT: Final = None  # the provider's own figures (bars, contract volume)

_POLICY: tuple[tuple[int | None, tuple[str, ...]], ...] = (
    (PRICE, (
        "price", "spot", "chain_spot", "change", "last_close", "sma_20", "sma_50", "sma_200",
        "high_52w", "low_52w", "atr_14", "strike", "bid", "ask", "mid", "premium", "net_debit",
        "breakeven", "current_price", "entry_price", "exit_price", "fees", "cost_basis_per_share",
        "breakevens", "by_iv", "by_straddle", "max_profit_at", "max_loss_at", "price_from", "price_to",
    )),
    (MONEY, (
        "max_profit", "max_loss", "net_premium", "capital", "market_value", "unrealised_pnl",
        "realised_pnl", "net_delta", "position_delta", "capital_at_risk", "beta_weighted_delta", "pnl",
    )),
    (PERCENT, (
        "change_percent", "rsi_14", "iv_rank", "iv_percentile", "spread_pct", "return_pct",
        "annualised_return_pct", "prob_otm", "pop", "pct_of_max_profit", "extrinsic_pct", "pnl_pct",
        "unrealised_pnl_pct", "score",
    )),
    (VOLATILITY, ("iv", "atm_iv", "hv_20", "hv_30")),
    (GREEK, ("delta", "theta", "vega")),
    (GAMMA, ("gamma",)),
    (BETA, ("betas",)),
    (WHOLE, (
        "avg_volume_20", "strength", "dte", "days_to_earnings", "open_interest", "iv_history_days",
        "min_dte", "max_dte", "expiration_count", "contract_count", "signal_counts", "positions",
        "quantity", "multiplier", "id", "trade", "open_trades", "greeks_unknown_trades",
        "unlimited_risk_trades", "unweighted_trades",
    )),
    (AS_SENT, ("open", "high", "low", "close", "volume", "vwap")),
)  # fmt: skip

# Field name -> decimals shown (None: as sent). One name, one policy, whichever response.
ROUNDING: dict[str, int | None] = {name: digits for digits, names in _POLICY for name in names}

T = TypeVar("T")


def rounded(body: T) -> T:
    """`body` (a response dict, list or number) with every float rounded by its field's policy.

    A float under a name the table does not know is left as it is (the tests walk every
    response for such names, so none ships).
    """
    return _round(body, None)  # type: ignore[no-any-return]


def round_field(name: str, value: float | None) -> float | None:
    """One figure rounded by its field's policy (None stays None)."""
    digits = ROUNDING.get(name)
    return value if value is None or digits is None else _to(value, digits)


def _to(value: float, digits: int) -> float:
    # A whole number is written without ".0"; a non-finite one cannot be rounded.
    if digits == 0 and math.isfinite(value):
        return round(value)
    return round(value, digits)


def _round(value: Any, name: str | None) -> Any:
    if type(value) is float:
        digits = ROUNDING.get(name) if name is not None else None
        return value if digits is None else _to(value, digits)
    if isinstance(value, dict):
        return {key: _round(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_round(item, name) for item in value]
    return value
