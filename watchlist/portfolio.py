"""Positions × market data: live valuations, and the dashboard's shapes and P&L summaries.

Market data comes through `marketdata.services` (one cache round trip, bounded fetches for
misses); rows come from `watchlist.selectors`; the arithmetic is `watchlist.valuation` (pure).
`watchlist.dashboard` puts the dashboard together (it needs `watchlist.trade_analysis`, which
values legs here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, TypedDict, cast

from typing_extensions import Doc

from core.deadline import Deadline
from core.shapes import IsoDate, IsoDateTime
from marketdata import clock
from marketdata import services as marketdata_services
from marketdata.domain import OptionSnapshot
from marketdata.expected_move import ExpectedMove
from marketdata.responses import EarningsStatus, StockSummary
from marketdata.risk import RiskTotals
from marketdata.trade_rules import SignalCode
from watchlist import selectors
from watchlist.models import Instrument, Position
from watchlist.valuation import Valuation, to_cents, value_position

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class DashboardSummary(TypedDict):
    """Positions P&L: open positions' value and unrealised P&L, closed ones' realised P&L."""

    positions: int
    market_value: float
    unrealised_pnl: float
    realised_pnl: float
    pnl_pct: Annotated[float | None, Doc("Unrealised P&L, percent of open cost.")]
    net_delta: float


class DashboardPositions(TypedDict):
    total: DashboardSummary
    by_strategy: dict[str, DashboardSummary]


class TradeStrategyPnl(TypedDict):
    """The trades of one strategy: how many are open, and their legs' P&L net of the legs' fees."""

    open_trades: int
    realised_pnl: Annotated[float, Doc("Closed legs of these trades, their fees subtracted.")]
    unrealised_pnl: Annotated[
        float, Doc("Open legs of these trades at current prices, their fees subtracted.")
    ]


class TradeStrategySummary(TradeStrategyPnl, RiskTotals):
    """The trades of one strategy: how many are open, their legs' P&L net of the legs' fees, and
    the open ones' greeks and capital at risk."""


class DashboardPortfolio(RiskTotals):
    """Open trades' risk: their figures' greeks and max losses summed, deltas weighted by β."""

    beta_weighted_delta: Annotated[
        float,
        Doc(
            "SPY shares: Σ open trades' delta × β × the underlying's close / SPY's close, both"
            " closes of the last session β is measured on."
        ),
    ]
    unweighted_trades: Annotated[
        list[int], Doc("Open trades beta_weighted_delta leaves out: their delta unknown, or their β.")
    ]
    betas: Annotated[
        dict[str, float | None],
        Doc(
            "β against SPY of each open trade's underlying: the OLS slope of its 60 daily log"
            " returns on SPY's over the last 61 completed sessions of stored bars (sessions"
            " aligned by date); null with fewer aligned sessions. SPY's own is 1."
        ),
    ]
    by_strategy: Annotated[dict[str, TradeStrategySummary], Doc("By trade strategy (a wheel is one trade).")]


class DashboardRowError(TypedDict):
    code: str
    message: str


class DashboardRow(StockSummary):
    """A watched symbol with its market data and signal counts, or the error that kept them."""

    symbol: str
    iv_rank: float | None
    earnings_date: IsoDate | None
    days_to_earnings: int | None
    earnings_status: EarningsStatus
    signal_counts: Annotated[
        dict[str, int] | None,
        Doc(
            "Trades per strategy: every rule of the signals endpoint applied, the earnings exclusion"
            " with the symbol's current earnings date included, not capped at its 5 per strategy;"
            " PMCC counts each short leg with at least one valid long leg once."
            " Null until the symbol's chain is cached (cron keeps chains warm)."
        ),
    ]
    expected_move: Annotated[
        ExpectedMove | None,
        Doc(
            "From the cached chain (never fetched here): null until one is cached, or when it has"
            " no standard monthly expiration a day or more away with a strike quoted both ways."
        ),
    ]
    error: DashboardRowError | None


class DashboardAlert(TypedDict):
    """An alert not dismissed, on a trade still open (GET /alerts/ has its deliveries)."""

    id: int
    trade: int
    underlying: str
    code: SignalCode
    message: str
    first_seen: IsoDateTime
    active: Annotated[bool, Doc("The signal still fired at the last cycle.")]


class Dashboard(TypedDict):
    """GET /dashboard/."""

    watchlist: list[DashboardRow]
    positions: DashboardPositions
    portfolio: DashboardPortfolio
    alerts: Annotated[list[DashboardAlert], Doc("Open alerts, newest first.")]
    as_of: IsoDateTime


def position_valuations(
    positions: Sequence[Position], *, fetch_missing: bool, deadline: Deadline | None = None
) -> dict[int, Valuation]:
    """Value positions from live prices: fetched within the deadline, or cache only (admin)."""
    return positions_valued(positions, fetch_missing=fetch_missing, deadline=deadline)[0]


def positions_valued(
    positions: Sequence[Position],
    *,
    fetch_missing: bool,
    deadline: Deadline | None = None,
    symbols: Iterable[str] = (),
) -> tuple[dict[int, Valuation], marketdata_services.MarketSnapshot]:
    """`position_valuations`, with the market snapshot they were valued from (for more figures).

    `symbols` are read in the same round trip (the dashboard's watchlist beside its legs).
    """
    today = clock.market_today()
    snapshot = _market_snapshot(
        positions, today=today, fetch_missing=fetch_missing, deadline=deadline, symbols=symbols
    )
    return {p.pk: _value(p, snapshot, today=today) for p in positions}, snapshot


def _market_snapshot(
    positions: Sequence[Position],
    *,
    today: date,
    fetch_missing: bool,
    deadline: Deadline | None,
    symbols: Iterable[str],
) -> marketdata_services.MarketSnapshot:
    """One cache round trip for what open positions need to be valued: their underlyings, live
    contracts' prices, and the underlying's bars for options past expiration."""
    open_positions = [p for p in positions if p.exit_price is None]
    live: list[tuple[str, str]] = []
    expired: list[str] = []
    for position in open_positions:
        expiration = position.expiration
        if position.option_ticker and expiration is not None:
            if expiration >= today:
                live.append((position.ticker.symbol, position.option_ticker))
            else:
                expired.append(position.ticker.symbol)
    return marketdata_services.market_snapshot_get(
        symbols=[*symbols, *(p.ticker.symbol for p in open_positions)],
        option_contracts=live,
        bar_symbols=expired,
        fetch_missing=fetch_missing,
        deadline=deadline,
    )


def _value(position: Position, snapshot: marketdata_services.MarketSnapshot, *, today: date) -> Valuation:
    stock = snapshot.stocks.get(position.ticker.symbol)
    live_price: float | None = None
    live_source: str | None = None
    live_delta: float | None = None
    close_at_expiration: float | None = None
    if position.instrument == Instrument.STOCK:
        if stock is not None:
            live_price, live_source = stock.value["price"], "close"
    elif position.option_ticker:
        quote = snapshot.option_prices.get(position.option_ticker)
        if quote is not None:
            live_price, live_source = quote.value["price"], quote.value["price_source"]
            live_delta = OptionSnapshot.from_payload(quote.value).delta
        bars = snapshot.bars.get(position.ticker.symbol)
        if bars is not None and position.expiration is not None and position.expiration < today:
            close_at_expiration = marketdata_services.close_on_or_before(bars.value, position.expiration)
    strike = position.strike
    return value_position(
        instrument=position.instrument,
        quantity=Decimal(position.quantity),
        multiplier=position.multiplier,
        entry_price=position.entry_price,
        exit_price=position.exit_price,
        today=today,
        contract_type=position.contract_type,
        strike=Decimal(str(strike)) if strike is not None else None,
        expiration=position.expiration,
        live_price=live_price,
        live_source=live_source,
        live_delta=live_delta,
        underlying_close_at_expiration=close_at_expiration,
    )


def _money(value: Decimal) -> float:
    return float(to_cents(value))


def _summarise(positions: Sequence[Position], valuations: Mapping[int, Valuation]) -> DashboardSummary:
    market_value = unrealised = realised = cost = delta = Decimal(0)
    for position in positions:
        valuation = valuations[position.pk]
        if valuation.realised_pnl is not None:
            realised += valuation.realised_pnl
            continue
        market_value += valuation.market_value or 0
        unrealised += valuation.unrealised_pnl or 0
        cost += position.entry_price * abs(position.quantity) * position.multiplier
        delta += valuation.position_delta or 0
    return {
        "positions": len(positions),
        "market_value": _money(market_value),
        "unrealised_pnl": _money(unrealised),
        "realised_pnl": _money(realised),
        "pnl_pct": _money(100 * unrealised / cost) if cost else None,
        "net_delta": _money(delta),
    }


def positions_summary(
    positions: Sequence[Position], valuations: Mapping[int, Valuation]
) -> DashboardPositions:
    """The legs' P&L summary, in total and by the legs' own strategy."""
    by_strategy: dict[str, list[Position]] = {}
    for position in positions:
        by_strategy.setdefault(position.strategy, []).append(position)
    return {
        "total": _summarise(positions, valuations),
        "by_strategy": {name: _summarise(group, valuations) for name, group in sorted(by_strategy.items())},
    }


def dashboard_alerts(user: User) -> list[DashboardAlert]:
    """The user's open alerts as the dashboard lists them, newest first."""
    return [
        {
            "id": alert.pk,
            "trade": alert.trade_id,
            "underlying": alert.trade.ticker.symbol,
            "code": cast("SignalCode", alert.code),
            "message": alert.message,
            "first_seen": alert.first_seen.isoformat(),
            "active": alert.active,
        }
        for alert in selectors.alerts_open_for(user)
    ]


def pnl_by_trade_strategy(
    positions: Sequence[Position], valuations: Mapping[int, Valuation]
) -> dict[str, TradeStrategyPnl]:
    """Per trade strategy: open trades, and the legs' realised and unrealised P&L net of their fees."""
    open_trades: dict[str, set[int]] = {}
    realised: dict[str, Decimal] = {}
    unrealised: dict[str, Decimal] = {}
    for position in positions:
        strategy = position.trade.strategy
        valuation = valuations[position.pk]
        open_trades.setdefault(strategy, set())
        if valuation.realised_pnl is not None:
            realised[strategy] = realised.get(strategy, Decimal(0)) + valuation.realised_pnl - position.fees
        else:
            open_trades[strategy].add(position.trade_id)
            gain = (valuation.unrealised_pnl or Decimal(0)) - position.fees
            unrealised[strategy] = unrealised.get(strategy, Decimal(0)) + gain
    return {
        strategy: {
            "open_trades": len(trades),
            "realised_pnl": _money(realised.get(strategy, Decimal(0))),
            "unrealised_pnl": _money(unrealised.get(strategy, Decimal(0))),
        }
        for strategy, trades in sorted(open_trades.items())
    }
