"""The refresh as Celery tasks: a cycle's steps, each stage's tasks in parallel across the workers.

Thin: each task calls one `services.cycle_steps` (or `services.cycles`) function and returns
plain JSON. A cycle is four stages and a finish (see `services.cycle_steps`); each stage is a
chord whose body keeps what the stage found with the cycle's record (`refresh_cycle_carry`:
a chord's body is copied into every task of its stage) and starts the next stage. Tasks are idempotent,
acknowledged late and rejected when their worker is lost (settings), so one a killed worker
held runs again elsewhere. Provider retries stay in the one retry policy: no task retries on
its own. A stage that raises marks the cycle failed (`refresh_cycle_abort`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Signature, chord, shared_task
from django.db import transaction

from marketdata.models import RefreshCycle
from marketdata.services import cycle_steps, cycles


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


def _then(cycle_id: int, parts: Sequence[Signature[Any]], body: Signature[Any]) -> None:
    """Run `parts` in parallel, then `body` with their results; a failure anywhere fails the cycle."""
    body = body.on_error(refresh_cycle_abort.si(cycle_id))
    if parts:
        chord(parts)(body)
    else:
        body.delay([])


@shared_task(name="marketdata.refresh_cycle")
def refresh_cycle(cycle_id: int) -> None:
    """Stage 1: mark the cycle running and check splits; then the market-wide tasks."""
    try:
        plan = cycle_steps.cycle_start(cycle_id)
    except Exception as error:
        cycles.refresh_cycle_fail(cycle_id, type(error).__name__)
        raise
    force = plan["force"]
    parts = [
        *([refresh_history.si(cycle_id), refresh_reference.si(cycle_id)] if plan["history"] else []),
        *(refresh_batched.si(cycle_id, name) for name in plan["batched"]),
        *(refresh_option_prices.si(batch, force=force) for batch in plan["contract_batches"]),
    ]
    _then(cycle_id, parts, refresh_cycle_quotes.s(cycle_id, plan["start"]))


@shared_task(name="marketdata.refresh_history")
def refresh_history(cycle_id: int) -> cycle_steps.MarketWide:
    """The cycle's stored history brought up to date (grouped daily when fewer calls)."""
    return cycle_steps.cycle_history(cycle_id)


@shared_task(name="marketdata.refresh_reference")
def refresh_reference(cycle_id: int) -> cycle_steps.MarketWide:
    """New symbols' ticker details and the day's dividends."""
    return cycle_steps.cycle_reference(cycle_id)


@shared_task(name="marketdata.refresh_batched")
def refresh_batched(cycle_id: int, dataset: str) -> cycle_steps.MarketWide:
    """A data set fetched for all the cycle's symbols at once (earnings: one calendar)."""
    return cycle_steps.cycle_batched(cycle_id, dataset)


@shared_task(name="marketdata.refresh_option_prices")
def refresh_option_prices(contracts: list[list[str]], *, force: bool) -> cycles.Part:
    """Up to 250 open positions' option prices (one universal-snapshot call)."""
    return cycle_steps.cycle_option_prices(contracts, force=force)


@shared_task(name="marketdata.refresh_cycle_quotes")
def refresh_cycle_quotes(market_wide: list[Any], cycle_id: int, start: cycles.Part) -> None:
    """Stage 3: the stock quotes in batches of 250, from what the market-wide tasks found."""
    batches = cycle_steps.cycle_quote_batches(cycle_id, market_wide)
    cycles.refresh_cycle_carry(cycle_id, [start, *market_wide])
    quotes = [refresh_quotes.si(batch) for batch in batches]
    _then(cycle_id, quotes, refresh_cycle_chains.s(cycle_id))


@shared_task(name="marketdata.refresh_quotes")
def refresh_quotes(batch: cycle_steps.QuoteBatch) -> cycles.Part:
    """Up to 250 symbols' stock data, from their stored history."""
    return cycle_steps.cycle_quotes(batch)


@shared_task(name="marketdata.refresh_cycle_chains")
def refresh_cycle_chains(quotes: list[Any], cycle_id: int) -> None:
    """Stage 4: a chain task per symbol whose stock data was had; then the finish."""
    plan = cycle_steps.cycle_chain_plan(cycle_id, quotes)
    cycles.refresh_cycle_carry(cycle_id, quotes)
    chains = [refresh_chain.si(s, only=plan["only"], force=plan["force"]) for s in plan["symbols"]]
    _then(cycle_id, chains, refresh_cycle_finish.s(cycle_id))


@shared_task(name="marketdata.refresh_chain")
def refresh_chain(symbol: str, *, only: list[str], force: bool) -> cycles.Part:
    """One symbol's option chain (and today's IV snapshot)."""
    return cycle_steps.cycle_chain(symbol, only=only, force=force)


@shared_task(name="marketdata.refresh_cycle_finish")
def refresh_cycle_finish(chains: list[Any], cycle_id: int) -> str:
    """Merge a cycle's parts and record it; returns its status."""
    return str(cycles.refresh_cycle_finish(cycle_id, chains).status)


@shared_task(name="marketdata.refresh_cycle_abort")
def refresh_cycle_abort(cycle_id: int) -> None:
    """A stage failed: the cycle is marked failed (the next one starts afresh)."""
    cycles.refresh_cycle_fail(cycle_id, "stage_failed")
