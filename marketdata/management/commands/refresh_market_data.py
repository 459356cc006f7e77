"""Cron entry point: refresh market data for every watched symbol and open position.

It asks `watchlist.selectors` what is watched and held, and hands that to the refresh (with
the benchmark, whose stored history is kept up to date too).

Exit status: 0 when everything succeeded, 1 when anything failed, 2 for bad arguments
(argparse's own errors exit 2 from the command line too). A symbol another copy of the
command is refreshing at the same moment is skipped, not failed: that copy reports it.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from core.errors import MojoError
from marketdata import datasets, services, tasks
from marketdata.models import RefreshCycle
from marketdata.symbols import normalize_symbol
from watchlist import selectors  # an interface's upward arrow: what users watch and hold

CHOICES = services.REFRESH_CHOICES
MAX_CONCURRENCY = 32


class _RawOutput:
    """A file-like view of a command's stdout that adds no line endings (tqdm writes `\\r`)."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> None:
        self._out.write(text, ending="")

    def flush(self) -> None:
        self._out.flush()


def describe(result: services.SymbolRefresh) -> str:
    """One line saying what a symbol's (or contract's) refresh did."""
    if result.skipped:
        return f"{result.symbol}: skipped (another refresh is running it)"
    if result.error:
        return f"{result.symbol}: FAILED {result.error}"
    if result.warning:
        return f"{result.symbol}: WARNING {result.warning} (the provider cannot price it: valued at entry)"
    states = [f"{name}={state}" for name, state in result.datasets.items()]
    return " ".join([f"{result.symbol}:", "ok" if result.ok else "FAILED", *states])


def summary(run: services.RefreshReport) -> str:
    """The run's last line: how many were refreshed, warned, failed and skipped; calls and time."""
    failed = len(run.failed)
    skipped = sum(1 for r in run.results if r.skipped)
    warned = [r.symbol for r in run.results if r.warning and not r.error]
    warnings = f", {len(warned)} with warnings ({', '.join(warned)})" if warned else ""
    return (
        f"refreshed {len(run.results) - failed - skipped} ok{warnings}, {failed} failed, "
        f"{skipped} skipped; {run.upstream_calls} upstream calls; {run.elapsed:.1f}s"
    )


def cycle_summary(cycle: RefreshCycle) -> str:
    """A worker cycle's last line, as the inline summary reads."""
    calls = sum(cycle.upstream_calls.values())
    duration = cycle.duration_seconds or 0.0
    warnings = f", {len(cycle.warnings)} with warnings" if cycle.warnings else ""
    return (
        f"cycle {cycle.pk} {cycle.status}: refreshed {cycle.symbols_ok} ok{warnings}, "
        f"{cycle.symbols_failed} failed; {calls} upstream calls; {duration:.1f}s"
    )


class Command(BaseCommand):
    help = (
        "Refresh market data that is missing or past its fresh TTL (everything with --force) for "
        "every watched symbol and the option prices of open positions; for cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickers", nargs="+", metavar="SYMBOL", help="Only these symbols.")
        parser.add_argument("--force", action="store_true", help="Refresh everything, fresh or not.")
        parser.add_argument(
            "--only",
            default=",".join(CHOICES),
            help=f"Comma-separated data sets (default all): {', '.join(CHOICES)}.",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Send the cycle to the Celery workers; print its id."
        )
        parser.add_argument("--wait", action="store_true", help="With --enqueue: wait for the cycle's end.")
        parser.add_argument(
            "--wait-timeout", type=float, default=3600.0, help="Seconds --wait waits at most (default 3600)."
        )
        parser.add_argument(
            "--concurrency", type=int, default=4, help=f"Symbols refreshed at once (1–{MAX_CONCURRENCY})."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Checked here rather than by argparse types: call_command(only=...) bypasses types.
        only = [name.strip() for name in str(options["only"]).split(",") if name.strip()]
        unknown = sorted(set(only) - set(CHOICES))
        if unknown or not only:
            raise CommandError(
                f"--only: unknown data set(s) {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(CHOICES)}",
                returncode=2,
            )
        if not 1 <= options["concurrency"] <= MAX_CONCURRENCY:
            raise CommandError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}", returncode=2)
        try:
            tickers = [normalize_symbol(t) for t in options["tickers"] or []]
        except MojoError as error:
            raise CommandError(f"--tickers: {error.message}", returncode=2) from error

        asked = {**selectors.refresh_request(tickers), "force": options["force"]}
        if options["enqueue"] or options["wait"]:
            self._enqueue(asked, only=only, wait=options["wait"], timeout=options["wait_timeout"])
        else:
            self._inline(asked, only=only, concurrency=options["concurrency"])

    def _inline(self, asked: dict[str, Any], *, only: list[str], concurrency: int) -> None:
        """Refresh in this process (a thread pool), one line per symbol, then the summary."""
        progress = self._progress_bar() if self.stdout.isatty() else None

        def report(result: services.SymbolRefresh) -> None:
            if progress is None:
                self.stdout.write(describe(result))
                return
            if (not result.ok and not result.skipped) or result.warning:
                progress.write(describe(result), file=progress.fp)
            progress.set_postfix_str(result.symbol, refresh=False)
            progress.update(1)

        # Many threads wait on the network while one parses: hand the GIL over sooner than the
        # default 5 ms, so a finished download is picked up promptly (cron process only).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, 0.001))
        try:
            run = services.refresh_cycle_inline(
                **asked,
                only=[datasets.BY_NAME[name] for name in only],
                concurrency=concurrency,
                on_start=(lambda total: setattr(progress, "total", total)) if progress is not None else None,
                on_result=report,
            )
        finally:
            sys.setswitchinterval(switch_interval)
            if progress is not None:
                progress.close()
        self.stdout.write(summary(run))
        failed = run.failed
        if failed:
            raise CommandError(
                "failed: " + ", ".join(f"{r.symbol} ({r.error or 'stale'})" for r in failed), returncode=1
            )

    def _enqueue(self, asked: dict[str, Any], *, only: list[str], wait: bool, timeout: float) -> None:
        """Send the cycle to the workers and print `cycle <id>`; with `wait`, its outcome too."""
        cycle = tasks.refresh_cycle_enqueue(**asked, only=only)
        self.stdout.write(f"cycle {cycle.pk}")
        if cycle.status == RefreshCycle.Status.SKIPPED:
            self.stdout.write("skipped: another cycle is queued or running")
            return
        if not wait:
            return
        cycle = services.refresh_cycle_wait(cycle.pk, timeout=timeout)
        for symbol, code in cycle.failures.items():
            self.stdout.write(f"{symbol}: FAILED {code}")
        self.stdout.write(cycle_summary(cycle))
        if cycle.status != RefreshCycle.Status.SUCCEEDED:
            raise CommandError(f"cycle {cycle.pk} {cycle.status}", returncode=1)

    def _progress_bar(self) -> Any:
        from tqdm import tqdm

        return tqdm(desc="refresh", unit=" symbol", file=_RawOutput(self.stdout), dynamic_ncols=False)
