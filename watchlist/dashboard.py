"""The dashboard: watchlist rows, the legs' P&L summary, the portfolio of trades, open alerts.

Rows read the watched symbols' cached market data; chains are never fetched here: their
summaries, which cron keeps warm, give signal counts, ATM IV and the expected move. The user's
trades are assessed once by `watchlist.trade_analysis` (every leg's valuation and each trade's
figures), whose cache read takes the watched symbols too: one round trip in all when warm;
the portfolio sums the open trades' greeks and max losses and weights their deltas by β from stored history
(`marketdata.risk`, one query). The shapes are `watchlist.portfolio`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from core.deadline import Deadline
from marketdata import clock, presentation, risk
from marketdata import services as marketdata_services
from marketdata.expected_move import expected_move_on
from marketdata.trade_figures import TradeFigures
from watchlist import portfolio, selectors, trade_analysis
from watchlist.models import Position, Trade
from watchlist.portfolio import Dashboard, DashboardPortfolio, DashboardRow, TradeStrategySummary
from watchlist.valuation import Valuation

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def dashboard_for(user: User, *, deadline: Deadline | None = None) -> Dashboard:
    """The user's watchlist rows, P&L summaries, portfolio risk and open alerts.

    Failing rows never fail the page. Misses (stock data, earnings, option prices) are fetched
    with bounded concurrency within the request deadline; chains never are.
    """
    symbols = selectors.watched_symbols_for(user)
    trades = list(selectors.trades_for(user))
    # One round trip: the watched symbols are read beside what the trades' legs need.
    assessed = (
        trade_analysis.trades_assessed(trades, fetch_missing=True, deadline=deadline, symbols=symbols)
        if trades
        else None
    )
    snapshot = (
        assessed.snapshot
        if assessed is not None
        else marketdata_services.market_snapshot_get(symbols=symbols, fetch_missing=True, deadline=deadline)
    )
    valuations = assessed.valuations if assessed is not None else {}
    positions = [leg for trade in trades for leg in trade.legs.all()]
    return {
        "watchlist": _rows(symbols, snapshot, today=clock.market_today()),
        "positions": portfolio.positions_summary(positions, valuations),
        "portfolio": _portfolio(
            trades, positions, valuations, figures=assessed.figures if assessed is not None else {}
        ),
        "alerts": portfolio.dashboard_alerts(user),
        "as_of": clock.now().isoformat(),
    }


def _rows(
    symbols: Sequence[str], snapshot: marketdata_services.MarketSnapshot, *, today: date
) -> list[DashboardRow]:
    iv_ranks = marketdata_services.iv_ranks_get(
        {s: snapshot.chains[s]["atm_iv"] for s in symbols if s in snapshot.chains}
    )
    rows: list[DashboardRow] = []
    for symbol in symbols:
        summary = marketdata_services.stock_summary(symbol, snapshot)
        earnings = snapshot.earnings.get(symbol)
        chain = snapshot.chains.get(symbol)
        error = snapshot.errors.get(symbol)
        rows.append(
            {
                "symbol": symbol,
                **(summary or marketdata_services.NO_STOCK_SUMMARY),
                "iv_rank": presentation.round_field("iv_rank", iv_ranks.get(symbol)),
                "earnings_date": earnings.next_date.isoformat() if earnings and earnings.next_date else None,
                "days_to_earnings": earnings.days_to_earnings if earnings else None,
                "earnings_status": earnings.status if earnings else "unknown",
                "signal_counts": marketdata_services.chain_signal_counts(chain, earnings, today=today),
                # A summary cached before the expected move was stored has none: null, like no chain.
                "expected_move": presentation.rounded(
                    expected_move_on(chain.get("expected_move") if chain else None, today=today)
                ),
                "error": {"code": error.code, "message": error.message}
                if error and summary is None
                else None,
            }
        )
    return rows


def _portfolio(
    trades: Sequence[Trade],
    positions: Sequence[Position],
    valuations: Mapping[int, Valuation],
    *,
    figures: Mapping[int, TradeFigures],
) -> DashboardPortfolio:
    """Open trades' greeks, capital at risk and beta-weighted delta, in total and per trade strategy."""
    exposures = [
        risk.Exposure(
            trade=trade.pk,
            underlying=trade.ticker.symbol,
            greeks=figures[trade.pk]["greeks"],
            max_loss=figures[trade.pk]["max_loss"],
        )
        for trade in trades
        if trade.closed_at is None
    ]
    underlyings = sorted({exposure.underlying for exposure in exposures})
    betas = marketdata_services.betas_get(underlyings, now=clock.now()) if underlyings else {}
    weighted, unweighted = risk.beta_weighted_delta(exposures, betas)
    strategy_of = {trade.pk: trade.strategy for trade in trades}
    by_strategy: dict[str, TradeStrategySummary] = {
        strategy: {
            **pnl,
            **risk.risk_totals([e for e in exposures if strategy_of[e.trade] == strategy]),
        }
        for strategy, pnl in portfolio.pnl_by_trade_strategy(positions, valuations).items()
    }
    found: DashboardPortfolio = {
        **risk.risk_totals(exposures),
        "beta_weighted_delta": weighted,
        "unweighted_trades": unweighted,
        # A dict's values are named by their keys (symbols) for `rounded`, so these are rounded here.
        "betas": {symbol: presentation.round_field("betas", betas[symbol].beta) for symbol in underlyings},
        "by_strategy": by_strategy,
    }
    return presentation.rounded(found)
