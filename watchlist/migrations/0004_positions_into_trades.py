"""Every existing position becomes a one-leg trade (strategy mapped from its leg's); nothing else changes."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# Frozen here: a migration must not follow later edits of the models' table.
LEG_TO_TRADE_STRATEGY = {
    "stock": "stock",
    "leaps": "leaps",
    "csp": "csp",
    "covered_call": "covered_call",
    "pmcc_long": "pmcc",
    "pmcc_short": "pmcc",
    "other": "other",
}


def positions_into_trades(apps: Any, schema_editor: Any) -> None:
    Position = apps.get_model("watchlist", "Position")
    Trade = apps.get_model("watchlist", "Trade")
    for position in Position.objects.filter(trade__isnull=True).iterator():
        trade = Trade.objects.create(
            owner_id=position.owner_id,
            ticker_id=position.ticker_id,
            strategy=LEG_TO_TRADE_STRATEGY[position.strategy],
            opened_at=position.opened_at,
            closed_at=position.closed_at,
        )
        Position.objects.filter(pk=position.pk).update(trade=trade)


def trades_into_positions(apps: Any, schema_editor: Any) -> None:
    """Backwards: the legs keep everything they had; the trades go with the column."""


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0003_trades")]

    operations = [migrations.RunPython(positions_into_trades, trades_into_positions, elidable=False)]
