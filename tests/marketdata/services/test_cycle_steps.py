"""A refresh cycle's steps in this process (Celery eager): the stages, the quote batches, the finish's record.

The real worker processes are in `tests/workers`; here the same tasks run one after the other,
so what each stage hands the next can be checked against the sandbox and the cache.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from celery import current_app

from marketdata import cache, clock, datasets, services
from marketdata.models import RefreshCycle
from marketdata.services import cycle_steps, cycles
from marketdata.tasks import refresh_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run where they are sent, chords included (their results are kept in this process)."""
    current_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    current_app.conf.update(task_always_eager=False, task_eager_propagates=False)


def _cycle(symbols: list[str], **fields: object) -> RefreshCycle:
    return cycles.refresh_cycle_begin(
        symbols=symbols,
        contracts=fields.pop("contracts", []),  # type: ignore[arg-type]
        history_also=[],
        force=False,
        only=[d.name for d in datasets.REFRESHED],
        mode=RefreshCycle.Mode.WORKERS,
    )


def test_quote_batches_hold_250_symbols_each_with_their_own_findings() -> None:
    symbols = ["".join(chr(65 + int(d)) for d in f"{i:03d}") for i in range(600)]  # AAA, AAB, …
    cycle = _cycle(symbols)
    parts: list[cycle_steps.MarketWide] = [
        {
            "results": [],
            "calls": {},
            "history_errors": {symbols[1]: "ticker_not_found", symbols[300]: "provider_error"},
        },
        {"results": [], "calls": {}, "changed": [symbols[2], symbols[599]]},
    ]

    batches = cycle_steps.cycle_quote_batches(cycle.pk, parts)

    assert [len(b["symbols"]) for b in batches] == [250, 250, 100]
    assert [b["symbols"][0] for b in batches] == [symbols[0], symbols[250], symbols[500]]
    assert [b["history_errors"] for b in batches] == [
        {symbols[1]: "ticker_not_found"},
        {symbols[300]: "provider_error"},
        {},
    ]
    assert [b["changed"] for b in batches] == [[symbols[2]], [], [symbols[599]]]


def test_a_cycle_runs_every_stage_and_records_what_the_inline_refresh_would(eager, sandbox) -> None:
    cycle = _cycle(["AAPL", "MSFT", "ZZZZ"])

    refresh_cycle.delay(cycle.pk)

    cycle.refresh_from_db()
    assert cycle.status == RefreshCycle.Status.FAILED
    assert cycle.failures == {"ZZZZ": "ticker_not_found"}  # its history failed: no quote, no chain
    assert cycle.symbols_ok == 2
    chains = {
        path.split("/")[4] for path in sandbox.control.counters()["by_path"] if "/snapshot/options/" in path
    }
    assert chains == {"AAPL", "MSFT"}  # none for ZZZZ
    for symbol in ("AAPL", "MSFT"):
        for key_of in (cache.stock_cache_key, cache.options_cache_key, cache.earnings_cache_key):
            entry = cache.read(key_of(symbol))
            assert entry is not None and entry.is_fresh(clock.now()), key_of(symbol)
    assert sum(cycle.upstream_calls.values()) == sandbox.control.counters()["total"]  # every call counted


def test_the_finish_records_the_signal_counts_the_dashboard_shows(eager, sandbox) -> None:
    cycle = _cycle(["AAPL", "MSFT", "KO"])

    refresh_cycle.delay(cycle.pk)

    cycle.refresh_from_db()
    shown: Counter[str] = Counter()
    for symbol in ("AAPL", "MSFT", "KO"):
        chain = cache.read(cache.options_cache_key(symbol))
        assert chain is not None
        counts = services.chain_signal_counts(
            chain.value, services.earnings_get(symbol), today=clock.market_today()
        )
        shown.update(counts or {})
    assert sum(shown.values()) > 0
    assert cycle.signal_counts == dict(sorted(shown.items()))
