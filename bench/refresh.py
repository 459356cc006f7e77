"""Benchmark `refresh_market_data` cold: concurrency 8 against concurrency 1.

Run `python bench/refresh.py [--rounds 3] [--latency 0.05]` from the repository root. With a
private Redis and the sandbox in a process of its own (so this process' CPU time is mojo's
alone), every provider answer delayed by `latency`, it refreshes every symbol of the
sandbox's universe (stock data, options chain, earnings) from an empty cache and no stored
daily history, alternating concurrency 8 and 1 round by round (both cleared before each run), and reports per
concurrency the median wall time, mojo's CPU seconds (`time.process_time`, all threads), the
sandbox's CPU seconds and the upstream calls per symbol (the sandbox's counters).

Target: speed-up >= 5x (8x is the ideal). When it falls short, CPU time explains the gap:
with the GIL, the CPU part of the work does not run in parallel, so the best concurrency 8
can do is max(wall_1 / 8, cpu_8). Results go to bench/results/refresh.json.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, print_summary, summary_row, write_results

NAME = "refresh"
TARGET_SPEEDUP = 5.0
WANTED_SYMBOLS = 100


def one_run(env: Any, symbols: list[str], concurrency: int, latency: float) -> dict[str, Any]:
    """Refresh `symbols` from an empty cache; wall, CPU and upstream figures."""
    from django.core.cache import cache
    from django.core.management import CommandError, call_command

    from marketdata import services
    from marketdata.cache import local_entries

    cache.clear()
    local_entries.clear()  # and the in-process layer in front of Redis
    for symbol in symbols:  # cold: no stored daily history either
        services.history_forget(symbol)
    env.sandbox.control.reset()
    env.sandbox.control.latency(latency)
    sandbox_cpu = env.sandbox.cpu_seconds()
    cpu = time.process_time()
    started = time.perf_counter()
    # The cron command itself (it tunes the process for its thread pool), with its report.
    reports: list[Any] = []
    original = services.market_data_refresh

    def keep(**kwargs: Any) -> Any:
        reports.append(original(**kwargs))
        return reports[-1]

    services.market_data_refresh = keep  # type: ignore[assignment]
    try:
        call_command(
            "refresh_market_data",
            "--tickers",
            *symbols,
            "--concurrency",
            str(concurrency),
            stdout=io.StringIO(),
        )
    except CommandError:
        pass  # failures are in the report
    finally:
        services.market_data_refresh = original  # type: ignore[assignment]
    report = reports[0]
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    sandbox_cpu = env.sandbox.cpu_seconds() - sandbox_cpu
    counters = env.sandbox.control.counters()
    failed = [r.symbol for r in report.failed]
    return {
        "wall": wall,
        "cpu": cpu,
        "sandbox_cpu": sandbox_cpu,
        "upstream_total": counters["total"],
        "upstream_by_endpoint": counters["by_endpoint"],
        "failed": failed,
        "reported_upstream_calls": report.upstream_calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05, help="sandbox latency per request (s)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with bench_env(sandbox_process=True) as env:
        from devtools.sandbox.data import UNIVERSE

        symbols = sorted(UNIVERSE)[:WANTED_SYMBOLS]
        levels = (args.concurrency, 1)
        one_run(env, symbols, args.concurrency, 0.0)  # warm imports, pools and the sandbox's data
        runs: dict[int, list[dict[str, Any]]] = {level: [] for level in levels}
        for round_no in range(args.rounds):
            order = levels if round_no % 2 == 0 else levels[::-1]
            for level in order:
                outcome = one_run(env, symbols, level, args.latency)
                runs[level].append(outcome)
                print(
                    f"  round {round_no + 1} concurrency {level}: {outcome['wall']:.2f} s wall, "
                    f"{outcome['cpu']:.2f} s mojo CPU, {outcome['sandbox_cpu']:.2f} s sandbox CPU, "
                    f"{outcome['upstream_total']} upstream calls, {len(outcome['failed'])} failed",
                    flush=True,
                )
        env.sandbox.control.reset()

    def med(level: int, key: str) -> float:
        return round(statistics.median(run[key] for run in runs[level]), 3)

    fast, slow = levels
    speedup = round(med(slow, "wall") / med(fast, "wall"), 2)
    per_symbol = {
        level: round(statistics.median(run["upstream_total"] for run in runs[level]) / len(symbols), 2)
        for level in levels
    }
    by_endpoint = {
        name: round(count / len(symbols), 2) for name, count in runs[fast][-1]["upstream_by_endpoint"].items()
    }
    # With the GIL, CPU work is serial: concurrency N can at best reach max(wall_1 / N, cpu_N).
    bound = max(med(slow, "wall") / fast, med(fast, "cpu"))
    figures = {
        "symbols": len(symbols),
        "symbols_wanted": WANTED_SYMBOLS,
        "sandbox_latency_seconds": args.latency,
        "rounds": args.rounds,
        "median_wall_seconds": {str(level): med(level, "wall") for level in levels},
        "median_mojo_cpu_seconds": {str(level): med(level, "cpu") for level in levels},
        "median_sandbox_cpu_seconds": {str(level): med(level, "sandbox_cpu") for level in levels},
        "mojo_cpu_seconds_per_symbol": round(med(fast, "cpu") / len(symbols), 4),
        "upstream_calls_per_symbol": {str(level): per_symbol[level] for level in levels},
        "upstream_calls_per_symbol_by_endpoint": by_endpoint,
        "speedup": speedup,
        "gil_bound_speedup": round(med(slow, "wall") / bound, 2),
        "failed": {str(level): sorted({s for run in runs[level] for s in run["failed"]}) for level in levels},
        "runs": {str(level): runs[level] for level in levels},
    }
    summary = [
        summary_row(f"refresh speed-up, concurrency {fast} vs 1", speedup, TARGET_SPEEDUP, at_most=False)
    ]
    note = (
        "" if len(symbols) >= WANTED_SYMBOLS else f" (the sandbox has {len(symbols)}, not {WANTED_SYMBOLS})"
    )
    latency_ms = args.latency * 1000
    print(f"\nrefresh_market_data, {len(symbols)} symbols cold{note}, sandbox latency {latency_ms:.0f} ms")
    print(f"{'concurrency':<13}{'wall s':>9}{'mojo CPU s':>12}{'sandbox CPU s':>15}{'calls/symbol':>14}")
    for level in levels:
        print(
            f"{level:<13}{med(level, 'wall'):>9.2f}{med(level, 'cpu'):>12.2f}"
            f"{med(level, 'sandbox_cpu'):>15.2f}{per_symbol[level]:>14}"
        )
    print(f"  upstream calls per symbol by endpoint: {by_endpoint}")
    print(
        f"  speed-up {speedup}x; with mojo's CPU serial under the GIL the best possible is "
        f"{figures['gil_bound_speedup']}x (max(wall_1/{fast}, CPU_{fast}) = {bound:.2f} s)"
    )
    print_summary(summary)
    write_results(NAME, figures, summary)


if __name__ == "__main__":
    main()
