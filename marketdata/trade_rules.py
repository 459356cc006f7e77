"""The trade-management rules traders run on an open trade: when to take profit, exit, or watch a leg.

Pure computation (no Django); `today`, the underlying's price, the trade's percent of max
profit (`marketdata.trade_figures`), its upcoming earnings and dividends are passed in. Each
rule looks at the trade's open option legs that have not expired (DTE = calendar days from
`today` to the expiration, so a leg expiring today is 0 DTE and counts); closed legs, expired
legs and shares never fire one. A rule fires at most once per trade, and its message names
the most pressing leg: for the rules about time (`dte_exit`, `earnings_before_expiry`,
`expiring_itm`) the nearest expiration, deepest in the money first on a tie; for the rules
about price (`tested`, `early_assignment_risk`) the deepest in the money, nearest first on a
tie. Signals come back in `SIGNAL_CODES` order, so a screen lists them the same way each time.

Prices are per share. A spot that is missing, not finite or ≤ 0 counts as no spot, and a mark
or a percent that is not finite as none: rules that need them stay silent rather than guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from marketdata.trade_payoff import FigureLeg

__all__ = ["SIGNAL_CODES", "TRADE_RULES", "SignalCode", "TradeRuleThresholds", "TradeSignal", "trade_signals"]

SignalCode = Literal[
    "take_profit", "dte_exit", "tested", "earnings_before_expiry", "early_assignment_risk", "expiring_itm"
]
SIGNAL_CODES: tuple[SignalCode, ...] = (
    "take_profit",
    "dte_exit",
    "tested",
    "earnings_before_expiry",
    "early_assignment_risk",
    "expiring_itm",
)

# Prices and percents come out of float arithmetic (a mark minus an intrinsic value, a P&L over
# a max profit): a billionth keeps that noise from flipping a rule exactly at its threshold.
_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class TradeRuleThresholds:
    """Where each rule fires; `TRADE_RULES` holds the defaults, variants come from `dataclasses.replace`."""

    take_profit_pct: float = 50.0  # a credit trade at >= this percent of its max profit
    dte_exit_days: int = 21  # the nearest open short option leg at <= this many DTE
    put_min_extrinsic: float = 0.05  # a short put in the money whose extrinsic (per share) is below this
    expiring_itm_days: int = 1  # any open option leg in the money with <= this many DTE


TRADE_RULES = TradeRuleThresholds()


@dataclass(frozen=True, slots=True)
class TradeSignal:
    """One rule that fired: its stable code and one sentence for the trader, naming leg and numbers."""

    code: SignalCode
    message: str


@dataclass(frozen=True, slots=True)
class _Option:
    """An open option leg that has not expired, reduced to what the rules ask of it."""

    kind: Literal["call", "put"]
    quantity: int
    strike: float
    expiration: date
    dte: int
    mark: float | None
    premium: float  # dollars the leg took in at entry (> 0) or paid (< 0): −entry × quantity × multiplier

    @property
    def is_short(self) -> bool:
        return self.quantity < 0

    @property
    def label(self) -> str:
        """How a trader names the leg: "Short 150 put 2027-01-15"."""
        side = "Short" if self.is_short else "Long"
        return f"{side} {self.strike:g} {self.kind} {self.expiration.isoformat()}"

    def depth(self, spot: float) -> float:
        """Dollars per share the option is in the money (< 0: out of the money)."""
        return spot - self.strike if self.kind == "call" else self.strike - spot

    def in_the_money(self, spot: float | None) -> bool:
        """Strictly beyond the strike: a call with spot above it, a put with spot below it."""
        return spot is not None and self.depth(spot) > _TOLERANCE


@dataclass(frozen=True, slots=True)
class _Trade:
    """The inputs every rule reads, cleaned once: usable spot, live option legs, thresholds."""

    options: tuple[_Option, ...]
    spot: float | None
    pct_of_max_profit: float | None
    earnings: tuple[date, ...]
    dividends: tuple[tuple[date, float], ...]
    today: date
    thresholds: TradeRuleThresholds

    @property
    def shorts(self) -> list[_Option]:
        return [option for option in self.options if option.is_short]

    def nearest(self, options: Sequence[_Option]) -> _Option:
        """The nearest expiration; the deepest in the money, then the lowest strike, on a tie."""
        return min(options, key=lambda option: (option.dte, -self._depth(option), option.strike))

    def deepest(self, options: Sequence[_Option]) -> _Option:
        """The deepest in the money; the nearest expiration, then the lowest strike, on a tie."""
        return min(options, key=lambda option: (-self._depth(option), option.dte, option.strike))

    def _depth(self, option: _Option) -> float:
        return option.depth(self.spot) if self.spot is not None else 0.0


def trade_signals(
    legs: Sequence[FigureLeg],
    *,
    spot: float | None,
    pct_of_max_profit: float | None,
    earnings: Sequence[date],
    dividends: Sequence[tuple[date, float]],
    today: date,
    thresholds: TradeRuleThresholds = TRADE_RULES,
) -> list[TradeSignal]:
    """Return the rules that fire on this trade, at most one signal per code, in `SIGNAL_CODES` order.

    `pct_of_max_profit` is a percent number (62.5 = 62.5 %); `earnings` are report dates;
    `dividends` are (ex-date, cash per share) pairs.
    """
    trade = _Trade(
        options=_live_options(legs, today=today),
        spot=spot if spot is not None and math.isfinite(spot) and spot > 0 else None,
        pct_of_max_profit=(
            pct_of_max_profit if pct_of_max_profit is not None and math.isfinite(pct_of_max_profit) else None
        ),
        earnings=tuple(earnings),
        dividends=tuple(dividends),
        today=today,
        thresholds=thresholds,
    )
    signals = []
    for code in SIGNAL_CODES:
        message = _RULES[code](trade)
        if message is not None:
            signals.append(TradeSignal(code=code, message=message))
    return signals


def _live_options(legs: Sequence[FigureLeg], *, today: date) -> tuple[_Option, ...]:
    """The open option legs that have not expired; shares, closed and expired legs drop out."""
    live = []
    for leg in legs:
        if leg.kind == "stock" or not leg.is_open or leg.strike is None or leg.expiration is None:
            continue
        dte = (leg.expiration - today).days
        if dte < 0:
            continue
        mark = leg.mark if leg.mark is not None and math.isfinite(leg.mark) else None
        premium = -leg.entry_price * leg.size
        live.append(_Option(leg.kind, leg.quantity, leg.strike, leg.expiration, dte, mark, premium))
    return tuple(live)


def _take_profit(trade: _Trade) -> str | None:
    """A credit trade (its live option legs took in more than they paid) at its profit target."""
    # Only credit trades: the rule buys back sold premium once enough of it is earned, since the
    # rest pays little for the risk still carried. A debit trade's target is a different call.
    pct, target = trade.pct_of_max_profit, trade.thresholds.take_profit_pct
    credit = math.fsum(option.premium for option in trade.options)
    if pct is None or pct < target - _TOLERANCE or credit <= _TOLERANCE:
        return None
    return f"Trade is at {_percent(pct)} of its max profit (take profit at {_percent(target)})."


def _dte_exit(trade: _Trade) -> str | None:
    """The nearest short option leg is inside the exit window, where gamma outruns theta."""
    shorts = trade.shorts
    if not shorts:
        return None
    nearest = trade.nearest(shorts)
    if nearest.dte > trade.thresholds.dte_exit_days:
        return None
    return f"{nearest.label} is {nearest.dte} DTE (exit at {trade.thresholds.dte_exit_days})."


def _tested(trade: _Trade) -> str | None:
    """The underlying trades beyond a short option leg's strike."""
    spot = trade.spot
    tested = [option for option in trade.shorts if option.in_the_money(spot)]
    if spot is None or not tested:
        return None
    deepest = trade.deepest(tested)
    side = "above" if deepest.kind == "call" else "below"
    return f"{deepest.label} is tested: spot {_money(spot)} is {side} the {deepest.strike:g} strike."


def _earnings_before_expiry(trade: _Trade) -> str | None:
    """An earnings report falls on or before a short option leg's expiration (today counts)."""
    upcoming = sorted(day for day in trade.earnings if day >= trade.today)
    if not upcoming:
        return None
    # The first report is the one that matters: any leg a later report catches, it catches too.
    report = upcoming[0]
    exposed = [option for option in trade.shorts if option.expiration >= report]
    if not exposed:
        return None
    nearest = trade.nearest(exposed)
    return f"{nearest.label} is open through earnings on {report.isoformat()}."


def _early_assignment_risk(trade: _Trade) -> str | None:
    """A short leg in the money with too little time value left for its holder to keep it open."""
    spot = trade.spot
    if spot is None:
        return None
    risks: list[tuple[_Option, str]] = []
    for option in trade.shorts:
        if option.mark is None or not option.in_the_money(spot):
            continue
        extrinsic = option.mark - option.depth(spot)
        reason = (
            _dividend_reason(option, extrinsic, trade)
            if option.kind == "call"
            else _thin_put_reason(extrinsic, trade.thresholds.put_min_extrinsic)
        )
        if reason is not None:
            message = f"{option.label} is in the money with {_money(extrinsic)} extrinsic, {reason}"
            risks.append((option, f"{message}: early assignment risk."))
    if not risks:
        return None
    deepest = trade.deepest([option for option, _ in risks])
    return next(message for option, message in risks if option is deepest)


def _dividend_reason(call: _Option, extrinsic: float, trade: _Trade) -> str | None:
    """Why the call's holder would exercise for a dividend: the first one worth more than the extrinsic.

    Holders exercise in the session before the ex-date, so an ex-date on the expiration day
    still counts, and one today has already had its exercise day.
    """
    worth = sorted(
        (ex_date, amount)
        for ex_date, amount in trade.dividends
        if trade.today < ex_date <= call.expiration
        and math.isfinite(amount)
        and amount > 0  # a zero dividend pays nothing to exercise for, however thin the extrinsic
        and amount > extrinsic + _TOLERANCE
    )
    if not worth:
        return None
    ex_date, amount = worth[0]
    return f"below the {_money(amount)} dividend going ex on {ex_date.isoformat()}"


def _thin_put_reason(extrinsic: float, floor: float) -> str | None:
    """Why the put's holder would exercise early: almost no time value left to give up."""
    return f"under the {_money(floor)} floor for puts" if extrinsic < floor - _TOLERANCE else None


def _expiring_itm(trade: _Trade) -> str | None:
    """An option leg, long or short, about to expire in the money: it will be exercised or assigned."""
    spot = trade.spot
    window = trade.thresholds.expiring_itm_days
    expiring = [option for option in trade.options if option.dte <= window and option.in_the_money(spot)]
    if spot is None or not expiring:
        return None
    nearest = trade.nearest(expiring)
    when = "today" if nearest.dte == 0 else f"in {nearest.dte} day{'s' if nearest.dte != 1 else ''}"
    return (
        f"{nearest.label} is {_money(nearest.depth(spot))} in the money and expires {when} "
        f"(flag at {window} DTE)."
    )


def _money(value: float) -> str:
    """Dollars to the cent, the sign in front: "$0.03", "-$0.10" (never "-$0.00")."""
    cents = round(value, 2)
    return f"-${-cents:,.2f}" if cents < 0 else f"${abs(cents):,.2f}"


def _percent(value: float) -> str:
    """A percent number to one decimal, a whole one without it: "62.5 %", "50 %"."""
    return f"{value:.1f}".removesuffix(".0") + " %"


_RULES: dict[SignalCode, Callable[[_Trade], str | None]] = {
    "take_profit": _take_profit,
    "dte_exit": _dte_exit,
    "tested": _tested,
    "earnings_before_expiry": _earnings_before_expiry,
    "early_assignment_risk": _early_assignment_risk,
    "expiring_itm": _expiring_itm,
}
