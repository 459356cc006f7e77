"""The refresh as Celery tasks: a cycle's market-wide step, its parts in parallel, its finish.

Thin: each task calls one `services.cycles` function and returns plain JSON. Tasks are
idempotent (a fresh entry is not fetched again), acknowledged late and rejected when their
worker is lost (settings), so one a killed worker held runs again elsewhere. Provider retries
stay in the one retry policy: no task retries on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import chord, shared_task
from django.db import transaction

from marketdata.models import RefreshCycle
from marketdata.services import cycles


def refresh_cycle_enqueue(
    *,
    symbols: Sequence[str],
    contracts: Sequence[tuple[str, str]],
    history_also: Sequence[str],
    force: bool,
    only: Sequence[str],
) -> RefreshCycle:
    """Record a cycle and send it to the workers (once the record is committed); skipped ones are not sent."""
    cycle = cycles.refresh_cycle_begin(
        symbols=symbols,
        contracts=contracts,
        history_also=history_also,
        force=force,
        only=only,
        mode=RefreshCycle.Mode.WORKERS,
    )
    if cycle.status == RefreshCycle.Status.QUEUED:
        transaction.on_commit(lambda: refresh_cycle.delay(cycle.pk))
    return cycle


@shared_task(name="marketdata.refresh_cycle")
def refresh_cycle(cycle_id: int) -> None:
    """Run a recorded cycle: the market-wide step here, then its parts across the workers."""
    try:
        plan = cycles.refresh_cycle_market_wide(cycle_id)
    except Exception as error:
        cycles.refresh_cycle_fail(cycle_id, type(error).__name__)
        raise
    force = plan["force"]
    parts = [
        *(refresh_chain.si(symbol, force=force) for symbol in plan["chains"]),
        *(refresh_option_prices.si(batch, force=force) for batch in plan["contract_batches"]),
    ]
    finish = refresh_cycle_finish.s(cycle_id, plan["done"])
    if parts:
        chord(parts)(finish)
    else:
        finish.delay([])


@shared_task(name="marketdata.refresh_chain")
def refresh_chain(symbol: str, *, force: bool) -> cycles.Part:
    """One symbol's option chain (a cycle's part)."""
    return cycles.refresh_cycle_chain(symbol, force=force)


@shared_task(name="marketdata.refresh_option_prices")
def refresh_option_prices(contracts: list[list[str]], *, force: bool) -> cycles.Part:
    """Up to 250 open positions' option prices (a cycle's part)."""
    return cycles.refresh_cycle_option_prices(contracts, force=force)


@shared_task(name="marketdata.refresh_cycle_finish")
def refresh_cycle_finish(parts: list[Any], cycle_id: int, done: cycles.Part) -> str:
    """Merge a cycle's parts and record it; returns its status."""
    return str(cycles.refresh_cycle_finish(cycle_id, [done, *parts]).status)
