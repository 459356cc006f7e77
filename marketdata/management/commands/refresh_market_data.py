"""Cron entry point: refresh market data for every watched symbol and open position.

Exit status: 0 when everything succeeded, 1 when anything failed, 2 for bad arguments.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketdata import services
from marketdata.exceptions import MojoError

CHOICES = (*services.DATASETS, "option_price")


class Command(BaseCommand):
    help = "Refresh stale or missing market data (stock, options, earnings, option prices) for cron."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickers", nargs="+", metavar="SYMBOL", help="Only these symbols.")
        parser.add_argument("--force", action="store_true", help="Refresh everything, fresh or not.")
        parser.add_argument(
            "--only", default=",".join(CHOICES), help=f"Comma-separated data sets: {', '.join(CHOICES)}."
        )
        parser.add_argument("--concurrency", type=int, default=4, help="Symbols refreshed at once (1–32).")

    def handle(self, *args: Any, **options: Any) -> None:
        only = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = sorted(set(only) - set(CHOICES))
        if unknown or not only:
            raise CommandError(f"--only: unknown data set(s) {', '.join(unknown) or '(none)'}", returncode=2)
        if not 1 <= options["concurrency"] <= 32:
            raise CommandError("--concurrency must be between 1 and 32", returncode=2)
        try:
            tickers = [services.normalize_symbol(t) for t in options["tickers"] or []]
        except MojoError as error:
            raise CommandError(f"--tickers: {error.message}", returncode=2) from error

        progress = self._progress_bar() if sys.stdout.isatty() and self.stdout._out is sys.stdout else None

        def report(result: services.SymbolRefresh) -> None:
            if progress is not None:
                progress.update(1)
                progress.set_postfix_str(result.symbol)
                return
            if result.skipped:
                state = "skipped (another refresh holds it)"
            elif result.error:
                state = f"FAILED {result.error}"
            else:
                state = " ".join(f"{k}={v}" for k, v in result.datasets.items())
            self.stdout.write(f"{result.symbol}: {state}")

        report_run = services.refresh_market_data(
            tickers=tickers or None,
            force=options["force"],
            only=only,
            concurrency=options["concurrency"],
            on_result=report,
        )
        if progress is not None:
            progress.close()
        failed = report_run.failed
        ok = len(report_run.results) - len(failed)
        self.stdout.write(
            f"refreshed {ok} ok, {len(failed)} failed, {report_run.upstream_calls} upstream calls, "
            f"{report_run.elapsed:.1f}s"
        )
        if failed:
            raise CommandError(
                "failed: " + ", ".join(f"{r.symbol} ({r.error or 'stale'})" for r in failed), returncode=1
            )

    def _progress_bar(self) -> Any:
        from tqdm import tqdm

        return tqdm(desc="refresh", unit="symbol", file=sys.stdout)
