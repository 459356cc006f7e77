"""Benchmark the refresh on Celery workers: 1, 2 and 4 worker processes at 500 symbols, 2 and 4 at 5,000.

Run `python bench/scale.py [--quick] [--latency 0.05]` from the repository root (it needs
redis-server). One run starts a private redis-server (the cache, the broker in the next
database and Celery's results), the sandbox in a process of its own serving the 57 and enough
generated symbols (`--universe`), every provider answer delayed by `latency`, and a migrated
file SQLite (WAL, from the settings) with one user watching N symbols: the 57, then generated
ones. Before the timed runs, one untimed pass asks the sandbox for every symbol's two chain
windows (and the smaller size's bars), so the sandbox serves them from its packed store
instead of pricing them while mojo is measured (its own CPU is measured and reported apart
all the same).

Each configuration starts from an empty Redis and a fresh copy of the database, starts one
worker "host" (`celery -A mojo worker -P prefork -c K`: K worker processes) and runs
`manage.py refresh_market_data --enqueue --wait`, as cron would; the inline run is the same
command without `--enqueue` (its thread pool, no workers) at the smaller size. Per
configuration: wall time (from `cycle <id>` to the command's end; the RefreshCycle's own
duration reads mojo's pinned clock), mojo's CPU (the worker's main process and children, plus
the command's process) per symbol, the sandbox's CPU, upstream calls by endpoint (the
sandbox's counters; the cycle row's are kept in the results), Redis `used_memory` and the
database's bytes (file and -wal, after every connection closed).

Targets (2 cores): 2 processes >= 1.8x the wall speed of 1; mojo's CPU per symbol on the
workers <= the inline run's (every worker configuration); the large size's wall <= 1.05x the
size ratio times the small size's (10.5x for 500 -> 5,000), for 2 and for 4 processes. The
whole script should take under 30 minutes; `--quick` (60 and 240 symbols) takes a few and
writes bench/results/scale_quick.json instead of scale.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PINNED_NOW, SANDBOX_TODAY, SandboxProcess, print_summary, summary_row, write_results
from bench.scale_processes import (
    Worker,
    database_bytes,
    manage,
    process_env,
    redis_figures,
    redis_flush,
    rss_bytes,
    run_manage,
    watchlist_database,
    with_database,
)

NAME = "scale"
BUDGET_SECONDS = 30 * 60
COMMAND_TIMEOUT = 1800
TARGET_SPEEDUP = 1.8
TARGET_CPU_RATIO = 1.0
LINEAR_SLACK = 1.05  # 10.5x for 10x the symbols


@dataclass(frozen=True)
class Plan:
    """The sizes a run measures and the worker processes at each."""

    small: int
    large: int
    at_small: tuple[int, ...] = (1, 2, 4)
    at_large: tuple[int, ...] = (2, 4)

    def configurations(self) -> list[tuple[int, int]]:
        """(symbols, processes) in the order they run; 0 processes: the inline command."""
        return [
            (self.small, 0),
            *((self.small, k) for k in self.at_small),
            *((self.large, k) for k in self.at_large),
        ]


FULL = Plan(small=500, large=5000)
QUICK = Plan(small=60, large=240)


@dataclass(frozen=True)
class Bench:
    """What every configuration shares: the servers, the process environment, the watchlists."""

    redis_url: str
    sandbox: SandboxProcess
    env: dict[str, str]
    directory: Path
    latency: float
    watched: dict[int, Path]  # symbols -> a migrated database watching that many


def warm_sandbox(sandbox: SandboxProcess, symbols: list[str], *, with_bars: int) -> dict[str, float]:
    """Ask for every symbol's two chain windows once (untimed, no latency): each is then served
    packed. The first `with_bars` symbols' bars too, which the sandbox keeps for a few thousand
    symbol-years, so the first timed run does not pay for what the next ones find ready."""
    import requests

    from marketdata.payloads import chain_windows

    windows = chain_windows(SANDBOX_TODAY)
    headers = {"Authorization": "Bearer scale-bench"}
    bars = f"range/1/day/{SANDBOX_TODAY.replace(year=SANDBOX_TODAY.year - 6)}/{SANDBOX_TODAY}"
    wants_bars = set(symbols[:with_bars])

    def ask(symbol: str) -> None:
        base = f"{sandbox.base_url}/v3/snapshot/options/{symbol}"
        for window in windows:
            params = {"expiration_date.gte": window["from"], "expiration_date.lte": window["to"], "limit": 1}
            requests.get(base, params=params, headers=headers, timeout=60).raise_for_status()
        if symbol in wants_bars:
            url = f"{sandbox.base_url}/v2/aggs/ticker/{symbol}/{bars}"
            requests.get(url, params={"limit": 50000}, headers=headers, timeout=60).raise_for_status()

    sandbox.control.reset()
    cpu, started = sandbox.cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(ask, symbols))
    return {
        "symbols": len(symbols),
        "seconds": round(time.perf_counter() - started, 1),
        "sandbox_cpu_seconds": round(sandbox.cpu_seconds() - cpu, 1),
        "sandbox_rss_bytes": rss_bytes(sandbox.process.pid),
    }


def last_cycle(database: Path) -> dict[str, Any] | None:
    """The latest RefreshCycle row, read straight from the file (None: there is none)."""
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT id, status, mode, symbols_ok, symbols_failed, upstream_calls, failures"
            " FROM marketdata_refreshcycle ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    cycle = dict(row)
    for name in ("upstream_calls", "failures"):  # JSON columns
        cycle[name] = json.loads(cycle[name])
    return cycle


def run_configuration(bench: Bench, *, symbols: int, processes: int) -> dict[str, Any]:
    """One cycle of `symbols` from an empty Redis and a fresh database, on `processes` (0: inline)."""
    database = bench.directory / f"run-{symbols}-{processes}.sqlite3"
    shutil.copyfile(bench.watched[symbols], database)
    env = with_database(bench.env, database)
    redis_flush(bench.redis_url)
    bench.sandbox.control.reset()
    bench.sandbox.control.latency(bench.latency)
    log = bench.directory / "workers.log"
    worker = Worker(env, processes=processes, log=log) if processes else None
    try:
        worker_cpu = worker.cpu_seconds() if worker is not None else 0.0
        sandbox_cpu = bench.sandbox.cpu_seconds()
        enqueue = (
            ["--enqueue", "--wait", "--wait-timeout", str(COMMAND_TIMEOUT)] if worker is not None else []
        )
        run = run_manage(env, ["refresh_market_data", *enqueue], timeout=COMMAND_TIMEOUT + 60)
        worker_cpu = worker.cpu_seconds() - worker_cpu if worker is not None else 0.0
        sandbox_cpu = bench.sandbox.cpu_seconds() - sandbox_cpu
        counters = bench.sandbox.control.counters()
        redis = redis_figures(bench.redis_url)
    finally:
        if worker is not None:
            worker.stop()
    mojo_cpu = worker_cpu + run.cpu_seconds
    return {
        "symbols": symbols,
        "processes": processes,
        "returncode": run.returncode,
        "last_line": (run.output.strip().splitlines() or [""])[-1],
        "wall_seconds": round(run.wall_seconds, 2),
        "command_seconds": round(run.ended - run.started, 2),
        "mojo_cpu_seconds": round(mojo_cpu, 2),
        "worker_cpu_seconds": round(worker_cpu, 2),
        "command_cpu_seconds": round(run.cpu_seconds, 2),
        "mojo_cpu_ms_per_symbol": round(mojo_cpu / symbols * 1000, 1),
        "sandbox_cpu_seconds": round(sandbox_cpu, 2),
        "sandbox_cpu_ms_per_symbol": round(sandbox_cpu / symbols * 1000, 1),
        "sandbox_rss_bytes": rss_bytes(bench.sandbox.process.pid),
        "upstream_total": counters["total"],
        "upstream_by_endpoint": dict(sorted(counters["by_endpoint"].items())),
        "cycle": last_cycle(database),  # the inline run records one too
        "redis": redis,
        "database": database_bytes(database),
    }


def label(run: dict[str, Any]) -> str:
    """How a configuration is named in the tables."""
    how = "inline" if run["processes"] == 0 else f"{run['processes']} proc"
    return f"{run['symbols']:>5} {how}"


def print_runs(runs: list[dict[str, Any]]) -> None:
    """The figures table, then upstream calls by endpoint."""
    print(
        f"\n{'configuration':<16}{'wall s':>9}{'mojo CPU s':>12}{'ms/symbol':>11}{'sandbox CPU s':>15}"
        f"{'calls':>8}{'Redis MB':>10}{'DB MB':>8}  exit"
    )
    for run in runs:
        db = run["database"]["db"] + run["database"]["wal"]
        print(
            f"{label(run):<16}{run['wall_seconds']:>9.1f}{run['mojo_cpu_seconds']:>12.1f}"
            f"{run['mojo_cpu_ms_per_symbol']:>11.1f}{run['sandbox_cpu_seconds']:>15.1f}"
            f"{run['upstream_total']:>8}{run['redis']['used_memory'] / 1e6:>10.1f}{db / 1e6:>8.1f}"
            f"  {run['returncode']}"
        )
    endpoints = sorted({name for run in runs for name in run["upstream_by_endpoint"]})
    print(
        f"\nupstream calls by endpoint\n{'configuration':<16}" + "".join(f"{e[:14]:>15}" for e in endpoints)
    )
    for run in runs:
        calls = run["upstream_by_endpoint"]
        print(f"{label(run):<16}" + "".join(f"{calls.get(e, 0):>15}" for e in endpoints))


def targets(plan: Plan, runs: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The three target ratios (figures) and their summary rows."""

    def find(symbols: int, processes: int) -> dict[str, Any]:
        return next(r for r in runs if (r["symbols"], r["processes"]) == (symbols, processes))

    ok = [r for r in runs if r["returncode"] == 0]
    speedup = round(find(plan.small, 1)["wall_seconds"] / find(plan.small, 2)["wall_seconds"], 2)
    inline = find(plan.small, 0)["mojo_cpu_ms_per_symbol"]
    on_workers = [r for r in runs if r["processes"]]
    worst = max(on_workers, key=lambda r: r["mojo_cpu_ms_per_symbol"])
    cpu_ratio = round(worst["mojo_cpu_ms_per_symbol"] / inline, 2)
    linear_target = round(LINEAR_SLACK * plan.large / plan.small, 2)
    growth = {
        k: round(find(plan.large, k)["wall_seconds"] / find(plan.small, k)["wall_seconds"], 2)
        for k in plan.at_large
    }
    summary = [
        summary_row(
            f"{plan.small} symbols: 2 worker processes vs 1, wall speed",
            speedup,
            TARGET_SPEEDUP,
            at_most=False,
        ),
        summary_row(
            f"mojo CPU per symbol, worst on workers ({label(worst).strip()}) / inline",
            cpu_ratio,
            TARGET_CPU_RATIO,
            at_most=True,
        ),
        *(
            summary_row(
                f"{k} processes: {plan.large} vs {plan.small} symbols, wall",
                ratio,
                linear_target,
                at_most=True,
            )
            for k, ratio in growth.items()
        ),
    ]
    figures = {
        "speedup_2_vs_1": speedup,
        "cpu_ms_per_symbol_inline": inline,
        "cpu_ratio_worst_workers_vs_inline": cpu_ratio,
        "wall_growth": {str(k): ratio for k, ratio in growth.items()},
        "wall_growth_target": linear_target,
        "all_succeeded": len(ok) == len(runs),
    }
    return figures, summary


def start(stack: ExitStack, plan: Plan, latency: float, directory: Path) -> Bench:
    """Start Redis and the sandbox, migrate a database and make one watching each size."""
    from devtools.localredis import LocalRedis

    redis_server = LocalRedis().start()
    stack.callback(redis_server.stop)
    sandbox = SandboxProcess(universe=max(0, plan.large - 57))
    stack.callback(sandbox.stop)
    symbols = sandbox.control.universe()
    if len(symbols) < plan.large:
        raise SystemExit(f"the sandbox serves {len(symbols)} symbols, not {plan.large}")
    template = directory / "template.sqlite3"
    env = process_env(
        redis_url=redis_server.url,
        database=template,
        sandbox_url=sandbox.base_url,
        now=PINNED_NOW.isoformat(),
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    watched = {
        size: watchlist_database(template, directory / f"watch-{size}.sqlite3", symbols[:size], env)
        for size in (plan.small, plan.large)
    }
    return Bench(redis_server.url, sandbox, env, directory, latency, watched)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.small} and {QUICK.large} symbols")
    parser.add_argument("--latency", type=float, default=0.05, help="sandbox latency per request (s)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    began = time.monotonic()

    def elapsed() -> str:
        return f"{time.monotonic() - began:.0f} s"

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mojo-scale-") as tmp, ExitStack() as stack:
        bench = start(stack, plan, args.latency, Path(tmp))
        print(f"set up ({elapsed()}); warming the sandbox's chains for {plan.large} symbols", flush=True)
        symbols = bench.sandbox.control.universe()[: plan.large]
        warm = warm_sandbox(bench.sandbox, symbols, with_bars=plan.small)
        print(
            f"  warmed in {warm['seconds']} s ({warm['sandbox_cpu_seconds']} s sandbox CPU, sandbox RSS "
            f"{warm['sandbox_rss_bytes'] / 1e6:.0f} MB; {elapsed()})",
            flush=True,
        )
        for size, processes in plan.configurations():
            run = run_configuration(bench, symbols=size, processes=processes)
            runs.append(run)
            print(
                f"  {label(run)}: {run['wall_seconds']:.1f} s wall, {run['mojo_cpu_ms_per_symbol']:.1f} ms "
                f"mojo CPU/symbol, {run['sandbox_cpu_ms_per_symbol']:.1f} ms sandbox CPU/symbol, "
                f"exit {run['returncode']} ({run['last_line'][:90]}); {elapsed()}",
                flush=True,
            )
    figures, summary = targets(plan, runs)
    total = time.monotonic() - began
    print(f"\nrefresh on Celery workers, sandbox latency {args.latency * 1000:.0f} ms")
    print_runs(runs)
    print()
    print_summary(summary)
    over = " (over the 30-minute budget)" if total > BUDGET_SECONDS else ""
    print(f"\nelapsed {total / 60:.1f} min{over}")
    figures.update(
        {
            "plan": {"small": plan.small, "large": plan.large, "quick": args.quick},
            "sandbox_latency_seconds": args.latency,
            "warm": warm,
            "elapsed_seconds": round(total, 1),
            "runs": runs,
        }
    )
    write_results(f"{NAME}_quick" if args.quick else NAME, figures, summary)


if __name__ == "__main__":
    main()
