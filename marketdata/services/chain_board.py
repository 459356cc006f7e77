"""The admin's options-chain board for one symbol: the cached chain only, never a provider.

One cache round trip (the chain and the earnings dates) and one query (the stored IV history
for the rank). The whole chain is analysed as the signals endpoint analyses it, so the
contracts its candidates hold are the ones `chain_signals` recommends there too; the rows are
the shown expiration's (`marketdata.chain_board`). Numbers are rounded as the API rounds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypedDict

from marketdata import chain_board, clock, datasets, presentation
from marketdata.cache import Cached
from marketdata.chain_board import BoardRow, BoardTab
from marketdata.exceptions import EarningsUnavailable, ExpirationNotListed
from marketdata.expected_move import ExpectedMove, expected_move_on
from marketdata.responses import Meta
from marketdata.services.bulk import cached_many
from marketdata.services.earnings import EarningsInfo, earnings_info, unknown_earnings
from marketdata.services.iv_history import iv_stats_get
from marketdata.services.meta import meta_of
from marketdata.services.options import chain_analyse, chain_signals
from marketdata.strategies import STRATEGIES
from marketdata.symbols import normalize_symbol


class ChainBoard(TypedDict):
    symbol: str
    cold: bool  # no chain cached: the page says so and offers the refresh
    spot: float | None  # the spot the chain was analysed at
    atm_iv: float | None
    iv_rank: float | None
    iv_percentile: float | None
    earnings_date: str | None
    expected_move: ExpectedMove | None  # to the nearest standard monthly, as the dashboard has it
    tabs: list[BoardTab]
    expiration: str | None
    dte: int | None
    rows: list[BoardRow]
    recommended: int  # contracts of the shown expiration some strategy recommends
    meta: Meta | None


def chain_board_get(
    ticker: str,
    *,
    expiration: date | None,
    shares_held: float,
    strategy_names: Sequence[str] = STRATEGIES,
    today: date | None = None,
) -> ChainBoard:
    """The board of `expiration` (by default `chain_board.default_expiration`) from the cache.

    Raises ExpirationNotListed when the cached chain has no contract expiring on `expiration`.
    `shares_held` is what the covered-call signal counts (the signals endpoint's user's shares).
    """
    symbol = normalize_symbol(ticker)
    today = today or clock.market_today()
    read = cached_many([(datasets.OPTIONS, symbol), (datasets.EARNINGS, symbol)], fetch_missing=False)
    chain = read.found.get((datasets.OPTIONS, symbol))
    if chain is None:
        return _cold(symbol)
    earnings = _earnings(symbol, read.found.get((datasets.EARNINGS, symbol)), today=today)
    payload = chain.value
    analysed = chain_analyse(payload, today=today)
    tabs = chain_board.board_tabs(analysed, today=today)
    tab = _tab_shown(symbol, tabs, expiration)
    stats = iv_stats_get(symbol, current=payload["atm_iv"])
    candidates = chain_signals(
        analysed,
        spot=payload["spot"],
        today=today,
        earnings=earnings,
        iv_rank=stats.iv_rank,
        shares_held=shares_held,
        strategy_names=strategy_names,
        include_earnings=False,  # the signals endpoint's default
    )
    shown = date.fromisoformat(tab["expiration"]) if tab is not None else None
    recommended = chain_board.recommended_contracts(candidates)
    rows = chain_board.board_rows(analysed, expiration=shown, spot=payload["spot"], recommended=recommended)
    board: ChainBoard = {
        "symbol": symbol,
        "cold": False,
        "spot": payload["spot"],
        "atm_iv": payload["atm_iv"],
        "iv_rank": stats.iv_rank,
        "iv_percentile": stats.iv_percentile,
        "earnings_date": earnings.next_date.isoformat() if earnings.next_date else None,
        "expected_move": expected_move_on(payload.get("expected_move"), today=today),
        "tabs": tabs,
        "expiration": tab["expiration"] if tab is not None else None,
        "dte": tab["dte"] if tab is not None else None,
        "rows": rows,
        "recommended": chain_board.recommended_count(rows),
        "meta": meta_of(chain),
    }
    return presentation.rounded(board)


def _earnings(symbol: str, cached: Cached[Any] | None, *, today: date) -> EarningsInfo:
    if cached is None:
        return unknown_earnings(symbol, EarningsUnavailable("No earnings dates are cached."))
    return earnings_info(symbol, cached, today=today)


def _tab_shown(symbol: str, tabs: list[BoardTab], expiration: date | None) -> BoardTab | None:
    """The tab of `expiration`, else the default one; ExpirationNotListed when it has none."""
    shown = expiration.isoformat() if expiration is not None else chain_board.default_expiration(tabs)
    tab = next((tab for tab in tabs if tab["expiration"] == shown), None)
    if expiration is not None and tab is None:
        raise ExpirationNotListed(
            f"The cached {symbol} chain lists no contract expiring on {shown}.",
            details={"expirations": [tab["expiration"] for tab in tabs]},
        )
    return tab


def _cold(symbol: str) -> ChainBoard:
    return {
        "symbol": symbol,
        "cold": True,
        "spot": None,
        "atm_iv": None,
        "iv_rank": None,
        "iv_percentile": None,
        "earnings_date": None,
        "expected_move": None,
        "tabs": [],
        "expiration": None,
        "dte": None,
        "rows": [],
        "recommended": 0,
        "meta": None,
    }
