"""Migrating from positions alone to trades: every position becomes a one-leg trade, nothing else changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from marketdata import clock
from watchlist.models import Position, Trade
from watchlist.valuation import Valuation, value_position

BEFORE = [("watchlist", "0002_refresh_schedules")]
OPENED = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)
# (strategy, instrument, option ticker, quantity, multiplier, entry, exit): one of each leg tag.
LEGS = (
    ("stock", "stock", None, 100, 1, "281.5000", None),
    ("leaps", "option", "O:AAPL271217C00250000", 1, 100, "61.2000", None),
    ("csp", "option", "O:AAPL261218P00270000", -1, 100, "4.1000", "1.0500"),
    ("covered_call", "option", "O:AAPL261218C00300000", -2, 100, "3.3000", None),
    ("pmcc_long", "option", "O:MSFT271217C00400000", 1, 100, "95.0000", None),
    ("pmcc_short", "option", "O:MSFT261218C00520000", -1, 100, "5.5000", "0.2500"),
    ("other", "stock", None, 5, 1, "512.0000", None),
)
EXPECTED_TRADE = {
    "stock": "stock",
    "leaps": "leaps",
    "csp": "csp",
    "covered_call": "covered_call",
    "pmcc_long": "pmcc",
    "pmcc_short": "pmcc",
    "other": "other",
}
COLUMNS = (
    "owner_id", "ticker_id", "instrument", "option_ticker", "quantity", "multiplier", "entry_price",
    "opened_at", "closed_at", "exit_price", "strategy", "notes",
)  # fmt: skip


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _old_positions(executor: MigrationExecutor) -> list[int]:
    apps = executor.loader.project_state(BEFORE).apps
    user = apps.get_model("auth", "User").objects.create(username="before")
    tickers = {s: apps.get_model("watchlist", "Ticker").objects.create(symbol=s) for s in ("AAPL", "MSFT")}
    old = apps.get_model("watchlist", "Position")
    ids = []
    for n, (strategy, instrument, option, quantity, multiplier, entry, exit_) in enumerate(LEGS):
        ids.append(
            old.objects.create(
                owner=user,
                ticker=tickers["MSFT" if option and "MSFT" in option else "AAPL"],
                instrument=instrument,
                option_ticker=option,
                quantity=quantity,
                multiplier=multiplier,
                entry_price=Decimal(entry),
                opened_at=OPENED + timedelta(days=n),
                closed_at=OPENED + timedelta(days=20) if exit_ else None,
                exit_price=Decimal(exit_) if exit_ else None,
                strategy=strategy,
                notes=f"leg {n}",
            ).pk
        )
    return ids


def _valuation(position: Position) -> Valuation:
    return value_position(
        instrument=position.instrument,
        quantity=Decimal(position.quantity),
        multiplier=position.multiplier,
        entry_price=position.entry_price,
        exit_price=position.exit_price,
        today=clock.market_today(),
        contract_type=position.contract_type,
        strike=Decimal(str(position.strike)) if position.strike is not None else None,
        expiration=position.expiration,
        live_price=None,
    )


@pytest.mark.django_db(transaction=True)
def test_every_position_becomes_a_one_leg_trade_with_its_values_unchanged() -> None:
    executor = _migrate(BEFORE)
    ids = _old_positions(executor)
    old = executor.loader.project_state(BEFORE).apps.get_model("watchlist", "Position")
    before = {row["id"]: row for row in old.objects.values("id", *COLUMNS)}
    _migrate(executor.loader.graph.leaf_nodes("watchlist"))

    after = {row["id"]: row for row in Position.objects.values("id", *COLUMNS)}
    assert after == before  # every column as it was
    for pk, leg in zip(ids, LEGS, strict=True):
        position = Position.objects.select_related("trade").get(pk=pk)
        trade = position.trade
        assert list(trade.legs.values_list("pk", flat=True)) == [pk]
        assert (trade.owner_id, trade.ticker_id, trade.strategy) == (
            position.owner_id,
            position.ticker_id,
            EXPECTED_TRADE[leg[0]],
        )
        assert (trade.opened_at, trade.closed_at) == (position.opened_at, position.closed_at)
        assert position.fees == 0
    assert Trade.objects.count() == len(LEGS)
    realised = {pk: _valuation(Position.objects.get(pk=pk)).realised_pnl for pk in ids}
    assert realised[ids[2]] == Decimal("305.00")  # (1.05 − 4.10) × −1 × 100: the CSP bought back
    assert realised[ids[5]] == Decimal("525.00")
