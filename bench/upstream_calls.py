"""Benchmark the provider calls of a cron cycle: batch endpoints (issue 16) against the commit before it.

Run `python bench/upstream_calls.py [--rounds 3] [--latency 0.05]` from the repository root.
The old code (OLD_COMMIT, the commit issue 16 starts from: stored history, one call per
open contract and per symbol's earnings) runs from a temporary `git worktree` made in this
run and removed at its end, the new code from this tree; each side runs `manage.py` of its
own tree in subprocesses, with the venv's editable-install finder left out (it would serve
the old tree the modules only this one has) and every mojo module loaded checked to come
from that tree. Both sides share the venv, one sandbox provider (in a process of its own,
from this tree: the old code never calls the new endpoints) and one private Redis (flushed
between sides); each has a fresh SQLite file, migrated by its own `manage.py migrate`, and
the same POSITIONS open option positions (contracts the sandbox lists, over several
underlyings, written straight to the table: no validation calls).

For the sandbox's universe (57 symbols) each side runs three `refresh_market_data --tickers
...` cycles (every data set and the positions' option prices, as cron does), mojo's clock
(MOJO_FROZEN_NOW) and the sandbox's pinned to the same moment, sandbox latency 0:

- (a) cold: Tuesday 2026-11-24 11:00 New York, in session, empty Redis and database;
- (b) in session 10 minutes later (11:10: stock data's and option prices' 600 s TTL has just run out);
- (c) the next session's first cycle: Wednesday 2026-11-25 09:40.

It prints the sandbox's counters by endpoint, old and new side by side; then, new side
only, the stored history per symbol after (c) beside the Redis bytes of the stock and bars
entries; then the rebuild: Redis flushed after (c), the time one `stock_data_get_many` of
all 57 symbols takes in a subprocess of each side (same moment as (c), sandbox latency
`--latency`), old and new rounds alternating, with the calls it made.

Targets (the issue's), with N symbols and P positions: (b) new makes at most
ceil(N/250) + ceil(P/250) calls; (c) at most the chain pages + 4 market-wide calls +
ceil(P/250); neither makes a single-contract call. Beside them, as summary rows too: the old /
new calls of (b) and (c), and the rebuild time old / new (>= 1x: no slower). Results go to
bench/results/upstream_calls.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEW_YORK, ROOT, SandboxProcess, print_summary, summary_row, write_results

NAME = "upstream_calls"
OLD_COMMIT = "028cb8f55eb7b8cc82d38c0946a0a11e0be36ab0"
CYCLES: tuple[tuple[str, str, datetime], ...] = (
    ("a", "cold, Tue 11:00", datetime(2026, 11, 24, 11, 0, tzinfo=NEW_YORK)),
    ("b", "Tue 11:10", datetime(2026, 11, 24, 11, 10, tzinfo=NEW_YORK)),
    ("c", "next session, Wed 09:40", datetime(2026, 11, 25, 9, 40, tzinfo=NEW_YORK)),
)
REBUILD_AT = CYCLES[-1][2]
# The calls stock data (and its history) costs; the rest are reference data, chains, option
# prices and earnings.
STOCK_ENDPOINTS = ("aggs", "grouped_daily", "stocks_snapshot", "splits")
OTHER_ENDPOINTS = (
    "ticker_details",
    "dividends",
    "options_chain",
    "universal_snapshot",
    "option_contract",
    "fmp_earnings_calendar",
    "fmp_earnings",
    "fmp_legacy",
    "other",
)
POSITIONS = 300
# The underlyings the positions are spread over, and the first expiration they may have: every
# contract must still be listed on Wednesday (c).
POSITION_UNDERLYINGS = ("AAPL", "MSFT", "SPY", "NVDA", "KO", "JPM", "XOM", "AMD")
POSITION_EXPIRING_FROM = "2026-12-18"
# The new side's bound on (c) counts these market-wide calls: splits, grouped daily, the
# stocks snapshot and the earnings calendar.
MARKET_WIDE_CALLS = 4
UNIVERSAL_BATCH = 250
COMMAND_TIMEOUT = 600
CONCURRENCY = 8
TABLE_BYTES = """
SELECT dbstat.name, SUM(dbstat.pgsize) FROM dbstat JOIN sqlite_master ON sqlite_master.name = dbstat.name
WHERE sqlite_master.tbl_name = 'marketdata_sessionbar' GROUP BY dbstat.name
"""

PACKAGES = ("core", "marketdata", "watchlist", "mojo", "devtools")
# How a side's `manage.py` is started: without the venv's editable-install finder, which maps
# mojo's packages to this tree and would hand the old tree a module it lacks from this one.
LAUNCH = (
    "import runpy, sys; "
    "sys.meta_path[:] = [f for f in sys.meta_path "
    "if not str(getattr(f, '__module__', '')).startswith('__editable_')]; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
# Which code a side's process imports: where mojo's loaded modules live, whether it has stored history.
WHICH_CODE = f"""
import importlib.util, json, sys
import marketdata.services, watchlist.selectors
files = sorted({{m.__file__ for n, m in list(sys.modules.items())
                 if n.split(".")[0] in {PACKAGES!r} and getattr(m, "__file__", None)}})
print(json.dumps({{"files": files, "history": importlib.util.find_spec("marketdata.history") is not None}}))
"""
# The open option positions, written straight to the side's tables (no provider calls).
POSITIONS_WRITE = """
import json, os
from decimal import Decimal
from django.contrib.auth.models import User
from marketdata import clock
from watchlist.models import Position, Ticker
owner, _ = User.objects.get_or_create(username="bench")
contracts = json.loads(os.environ["BENCH_CONTRACTS"])
tickers = {s: Ticker.objects.get_or_create(symbol=s)[0] for s in {s for s, _ in contracts}}
legs = [
    Position(owner=owner, ticker=tickers[s], instrument="option", option_ticker=t, quantity=-1,
             multiplier=100, entry_price=Decimal("2.50"), opened_at=clock.now(), strategy="csp")
    for s, t in contracts
]
if any(field.name == "trade" for field in Position._meta.get_fields()):  # a side with trades
    from watchlist.models import Trade
    trades = Trade.objects.bulk_create(
        Trade(owner=owner, ticker=leg.ticker, strategy="csp", opened_at=leg.opened_at) for leg in legs
    )
    for leg, trade in zip(legs, trades):
        leg.trade = trade
Position.objects.bulk_create(legs)
print(json.dumps({"positions": Position.objects.filter(closed_at__isnull=True).count()}))
"""
# The rebuild, timed inside the side's process (Django set up, Redis and database connected).
REBUILD = """
import json, os, time
from django.core.cache import cache
from django.db import connection
from marketdata import services
symbols = os.environ["BENCH_SYMBOLS"].split(",")
connection.ensure_connection()
cache.get("bench:connect")
started = time.perf_counter()
batch = services.stock_data_get_many(symbols)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "found": len(batch.results),
                  "errors": {symbol: error.code for symbol, error in batch.errors.items()}}))
"""


@dataclass(frozen=True, slots=True)
class Side:
    """One version of mojo: the tree its code runs from and its own SQLite database."""

    name: str
    tree: Path
    database: Path
    redis_url: str
    sandbox_url: str

    def env(self, now: datetime, **extra: str) -> dict[str, str]:
        """A cron process' environment: test settings, our Redis, sandbox and database, a frozen now."""
        return {
            **os.environ,
            "PYTHONPATH": str(self.tree),  # its own code before the editable install's (this tree)
            "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "REDIS_URL": self.redis_url,
            "MASSIVE_BASE_URL": self.sandbox_url,
            "FMP_BASE_URL": self.sandbox_url,
            "MOJO_FROZEN_NOW": now.isoformat(),
            "LOG_LEVEL": "WARNING",
            **extra,
        }

    def manage(self, *args: str, now: datetime, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run this side's `manage.py` with `args`, from its own tree."""
        return subprocess.run(
            [sys.executable, "-c", LAUNCH, str(self.tree / "manage.py"), *args],
            cwd=self.tree,
            env=self.env(now, **extra),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )


def _last_json(completed: subprocess.CompletedProcess[str], what: str) -> dict[str, Any]:
    """The JSON a process printed on its last line (raise with its stderr if it failed)."""
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


# --- Set-up ----------------------------------------------------------------------------------------
@contextmanager
def old_worktree(directory: Path) -> Iterator[Path]:
    """A detached worktree of OLD_COMMIT under `directory`, removed (and pruned) afterwards."""
    path = directory / "old-tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run(
        [*git, "worktree", "add", "--detach", str(path), OLD_COMMIT], check=True, capture_output=True
    )
    try:
        yield path
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(path)], check=False, capture_output=True)
        subprocess.run([*git, "worktree", "prune"], check=False, capture_output=True)


def position_contracts(control: Any, sandbox_url: str) -> list[tuple[str, str]]:
    """POSITIONS (underlying, option ticker) pairs the sandbox lists at every cycle's moment.

    Asked of the sandbox itself at each moment (a chain's strikes follow the spot), so no
    position is a contract the provider does not know; the counters are reset afterwards.
    """
    import requests

    listed: dict[str, set[str]] = {}
    for _, _, now in CYCLES:
        control.pin_now(now)
        for symbol in POSITION_UNDERLYINGS:
            answer = requests.get(
                f"{sandbox_url}/v3/snapshot/options/{symbol}",
                params={"expiration_date.gte": POSITION_EXPIRING_FROM, "limit": 250, "apiKey": "bench"},
                timeout=30,
            )
            answer.raise_for_status()
            tickers = {record["details"]["ticker"] for record in answer.json()["results"]}
            listed[symbol] = listed[symbol] & tickers if symbol in listed else tickers
    control.reset()
    contracts = [(symbol, ticker) for symbol in POSITION_UNDERLYINGS for ticker in sorted(listed[symbol])]
    if len(contracts) < POSITIONS:
        raise RuntimeError(f"the sandbox lists only {len(contracts)} contracts for the positions")
    step = len(contracts) / POSITIONS  # spread over the underlyings and expirations
    return [contracts[int(i * step)] for i in range(POSITIONS)]


def positions_write(side: Side, contracts: Sequence[tuple[str, str]]) -> int:
    """Open the positions in the side's database; return how many are open."""
    completed = side.manage(
        "shell", "-c", POSITIONS_WRITE, now=CYCLES[0][2], BENCH_CONTRACTS=json.dumps(list(contracts))
    )
    return int(_last_json(completed, f"{side.name}: positions")["positions"])


def side_prepare(side: Side, *, has_history: bool) -> str:
    """Migrate the side's database and check its process imports its own tree's code."""
    migrated = side.manage("migrate", "--no-input", "-v", "0", now=CYCLES[0][2])
    if migrated.returncode != 0:
        raise RuntimeError(f"{side.name}: migrate failed: {migrated.stderr[-2000:]}")
    code = _last_json(side.manage("shell", "-c", WHICH_CODE, now=CYCLES[0][2]), f"{side.name}: import check")
    elsewhere = [f for f in code["files"] if not Path(f).resolve().is_relative_to(side.tree.resolve())]
    if elsewhere or code["history"] != has_history:
        raise RuntimeError(f"{side.name}: imported the wrong code: {elsewhere or code}")
    history = "present" if has_history else "absent"
    return f"{len(code['files'])} modules from {side.tree}, marketdata.history {history}"


# --- Measuring -------------------------------------------------------------------------------------
def cycle_run(side: Side, control: Any, symbols: Sequence[str], now: datetime) -> dict[str, Any]:
    """One cron cycle of every data set for `symbols` at `now`: the calls it made, by endpoint."""
    control.reset()
    control.pin_now(now)
    started = time.perf_counter()
    completed = side.manage(
        "refresh_market_data", "--tickers", *symbols, "--concurrency", str(CONCURRENCY), now=now
    )
    seconds = time.perf_counter() - started
    counters = control.counters()
    lines = completed.stdout.strip().splitlines()
    return {
        "exit_status": completed.returncode,
        "report": lines[-1] if lines else "",
        "failed": [line for line in lines if "FAILED" in line],
        "stderr_tail": completed.stderr[-1000:] if completed.returncode else "",
        "seconds": round(seconds, 2),
        "total": counters["total"],
        "by_endpoint": counters["by_endpoint"],
    }


def redis_entries(redis_url: str, symbols: Sequence[str]) -> dict[str, Any]:
    """Median `MEMORY USAGE` per symbol of its stock and bars entries, and a digest of each entry."""
    import redis

    from marketdata.cache.keys import bars_cache_key, stock_cache_key

    client: Any = redis.Redis.from_url(redis_url)  # sync client: no awaitables in its answers
    found: dict[str, Any] = {}
    for name, key in (("stock", stock_cache_key), ("bars", bars_cache_key)):
        found[name] = statistics.median(client.memory_usage(key(s)) or 0 for s in symbols)
        raw = [client.get(key(s)) for s in symbols]
        found[f"{name}_digests"] = [
            hashlib.sha256(value).hexdigest()[:16] if value else None for value in raw
        ]
    return found


def redis_flush(redis_url: str) -> None:
    """Empty the private Redis."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def stored_history(database: Path) -> dict[str, Any]:
    """SessionBar rows per symbol and the bytes of the table and its indexes (SQLite's dbstat)."""
    with sqlite3.connect(database) as db:
        rows = [n for (n,) in db.execute("SELECT COUNT(*) FROM marketdata_sessionbar GROUP BY symbol")]
        try:
            # The table and every index on it (the unique one is sqlite_autoindex_…), page bytes.
            sizes = dict(db.execute(TABLE_BYTES).fetchall())
        except sqlite3.OperationalError:
            sizes = {}  # SQLite built without dbstat
        checked = db.execute("SELECT COUNT(*) FROM marketdata_symbolhistory").fetchone()[0]
    total = sum(sizes.values()) if sizes else None
    return {
        "symbols": len(rows),
        "symbol_history_rows": checked,
        "rows_per_symbol": {"min": min(rows), "median": statistics.median(rows), "max": max(rows)},
        "rows": sum(rows),
        "bytes_by_object": sizes,
        "bytes": total,
        "bytes_per_symbol": round(total / len(rows)) if total else None,
        "bytes_per_row": round(total / sum(rows), 1) if total else None,
    }


def rebuild_once(side: Side, control: Any, symbols: Sequence[str], latency: float) -> dict[str, Any]:
    """Flush Redis, then time one `stock_data_get_many` of `symbols` in a process of the side."""
    redis_flush(side.redis_url)
    control.reset()
    control.pin_now(REBUILD_AT)
    control.latency(latency)
    completed = side.manage("shell", "-c", REBUILD, now=REBUILD_AT, BENCH_SYMBOLS=",".join(symbols))
    answer = _last_json(completed, f"{side.name}: rebuild")
    counters = control.counters()
    return {**answer, "total": counters["total"], "by_endpoint": counters["by_endpoint"]}


def rebuild_rounds(
    sides: Sequence[Side], control: Any, symbols: Sequence[str], *, rounds: int, latency: float
) -> dict[str, list[dict[str, Any]]]:
    """`rounds` rebuilds per side, the sides alternating (the order flips each round)."""
    runs: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
    for round_no in range(rounds):
        for side in sides if round_no % 2 == 0 else sides[::-1]:
            runs[side.name].append(rebuild_once(side, control, symbols, latency))
    control.reset()
    return runs


# --- Reporting -------------------------------------------------------------------------------------
def stock_calls(by_endpoint: dict[str, int]) -> int:
    """The calls of a cycle that stock data and its history cost."""
    return sum(by_endpoint.get(name, 0) for name in STOCK_ENDPOINTS)


def print_calls(cycles: dict[str, dict[str, dict[str, Any]]], symbols: int) -> None:
    """The endpoint × (cycle, side) table."""
    print(f"\nupstream calls by endpoint, {symbols} symbols, refresh_market_data (every data set)")
    print(f"{'':<20}" + "".join(f"{f'({key}) {label}':<26}" for key, label, _ in CYCLES))
    print(f"{'endpoint':<20}" + f"{'old':>8}{'new':>8}{'':10}" * len(CYCLES))
    seen = {name for side in cycles.values() for run in side.values() for name in run["by_endpoint"]}
    names = [n for n in (*STOCK_ENDPOINTS, *OTHER_ENDPOINTS) if n in seen or n in STOCK_ENDPOINTS]

    def line(label: str, value: Any) -> None:
        cells = [f"{value(cycles[s][key]):>8}" for key, _, _ in CYCLES for s in ("old", "new")]
        print(f"{label:<20}" + "".join(c + ("" if i % 2 == 0 else " " * 10) for i, c in enumerate(cells)))

    for name in names:
        line(name, lambda run, name=name: run["by_endpoint"].get(name, 0))
        if name == STOCK_ENDPOINTS[-1]:
            line("= stock-related", lambda run: stock_calls(run["by_endpoint"]))
    line("= total", lambda run: run["total"])
    line("wall s (latency 0)", lambda run: f"{run['seconds']:.1f}")
    for side, runs in cycles.items():
        for key, run in runs.items():
            status = "" if run["exit_status"] == 0 else f" (exit {run['exit_status']})"
            print(f"  {side} ({key}): {run['report']}{status}")


def print_history(history: dict[str, Any], redis: dict[str, dict[str, float]]) -> None:
    """Stored history per symbol (new side) beside the Redis entries per symbol."""
    rows = history["rows_per_symbol"]
    print(
        f"\nstored history after (c), new side: {history['symbols']} symbols, "
        f"{history['rows']:,} SessionBar rows"
    )
    print(f"  rows per symbol: min {rows['min']}, median {rows['median']:g}, max {rows['max']}")
    if history["bytes"] is None:
        print("  bytes: SQLite's dbstat is unavailable here")
    else:
        parts = ", ".join(f"{name} {size:,}" for name, size in history["bytes_by_object"].items())
        print(
            f"  bytes (SQLite pages, table + indexes): {history['bytes']:,} ({parts}); "
            f"{history['bytes_per_symbol']:,} per symbol, {history['bytes_per_row']} per row"
        )
    for side, sizes in redis.items():
        print(
            f"  Redis after (c), {side}: stock entry {sizes['stock']:,.0f} B, "
            f"bars entry {sizes['bars']:,.0f} B per symbol (median MEMORY USAGE)"
        )
    for name in ("stock", "bars"):
        pairs = list(zip(redis["old"][f"{name}_digests"], redis["new"][f"{name}_digests"], strict=True))
        same = sum(1 for old, new in pairs if old is not None and old == new)
        print(f"  {name} entries byte-identical old vs new after (c): {same} of {len(pairs)}")


def print_rebuild(rebuild: dict[str, list[dict[str, Any]]], symbols: int, latency: float) -> dict[str, float]:
    """The rebuild's median times and calls; return the medians."""
    print(
        f"\nrebuild of {symbols} symbols' stock data after a Redis flush (Wed 09:40, in session), "
        f"sandbox latency {latency * 1000:.0f} ms, {len(next(iter(rebuild.values())))} rounds"
    )
    medians = {side: statistics.median(run["seconds"] for run in runs) for side, runs in rebuild.items()}
    for side, runs in rebuild.items():
        last = runs[-1]
        rounds = ", ".join(f"{run['seconds']:.3f}" for run in runs)
        print(
            f"  {side}: median {medians[side]:.3f} s (rounds {rounds}); {last['found']} found, "
            f"{len(last['errors'])} errors; calls {dict(sorted(last['by_endpoint'].items()))}"
        )
    print(f"  old / new: {medians['old'] / medians['new']:.1f}x")
    return medians


def summary(
    cycles: dict[str, dict[str, dict[str, Any]]],
    rebuild: dict[str, list[dict[str, Any]]],
    *,
    symbols: int,
    positions: int,
) -> list[Any]:
    """The issue's targets and the old / new ratios."""
    new, old = cycles["new"], cycles["old"]

    def count(run: dict[str, Any], endpoint: str) -> int:
        return int(run["by_endpoint"].get(endpoint, 0))

    def ratio(key: str) -> float:
        return round(old[key]["total"] / new[key]["total"], 1)

    def batches(items: int) -> int:
        return -(-items // UNIVERSAL_BATCH)

    medians = {side: statistics.median(run["seconds"] for run in runs) for side, runs in rebuild.items()}
    in_session_bound = batches(symbols) + batches(positions)
    next_session_bound = count(new["c"], "options_chain") + MARKET_WIDE_CALLS + batches(positions)
    return [
        summary_row(
            f"(b) in session +10 min, new: calls (N={symbols}, P={positions})",
            new["b"]["total"],
            in_session_bound,
            at_most=True,
            unit=" calls",
        ),
        summary_row(
            "(c) next session, new: calls (bound: chain pages + 4 + ceil(P/250))",
            new["c"]["total"],
            next_session_bound,
            at_most=True,
            unit=" calls",
        ),
        summary_row(
            "(b)+(c) new: single-contract calls",
            count(new["b"], "option_contract") + count(new["c"], "option_contract"),
            0,
            at_most=True,
            unit=" calls",
        ),
        summary_row(
            "(a) cold, new: earnings calendar calls",
            count(new["a"], "fmp_earnings_calendar"),
            1,
            at_most=True,
            unit=" calls",
        ),
        *(
            summary_row(f"({key}) {label}: calls old / new", ratio(key), 1, at_most=False)
            for key, label in (("a", "cold"), ("b", "in session"), ("c", "next session"))
        ),
        summary_row(
            "rebuild after a Redis flush, time old / new",
            round(medians["old"] / medians["new"], 1),
            1,
            at_most=False,
        ),
    ]


# --- The run ---------------------------------------------------------------------------------------
def side_measure(side: Side, control: Any, symbols: Sequence[str]) -> tuple[dict[str, Any], dict[str, float]]:
    """Run the three cycles on an empty Redis; their calls, and the Redis bytes after (c)."""
    redis_flush(side.redis_url)
    runs = {}
    for key, label, now in CYCLES:
        runs[key] = cycle_run(side, control, symbols, now)
        print(f"  {side.name} ({key}) {label}: {runs[key]['total']} calls, {runs[key]['report']}", flush=True)
    return runs, redis_entries(side.redis_url, symbols)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="rebuild rounds per side")
    parser.add_argument("--latency", type=float, default=0.05, help="sandbox latency for the rebuild (s)")
    args = parser.parse_args()

    from devtools.localredis import LocalRedis
    from devtools.sandbox.data import UNIVERSE

    symbols = sorted(UNIVERSE)
    with ExitStack() as stack:
        directory = Path(tempfile.mkdtemp(prefix="mojo-bench-upstream-"))
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        redis_server = LocalRedis().start()
        stack.callback(redis_server.stop)
        sandbox = SandboxProcess()
        stack.callback(sandbox.stop)
        old_tree = stack.enter_context(old_worktree(directory))
        sides = [
            Side(name, tree, directory / f"{name}.sqlite3", redis_server.url, sandbox.base_url)
            for name, tree in (("old", old_tree), ("new", ROOT))
        ]
        contracts = position_contracts(sandbox.control, sandbox.base_url)
        for side in sides:
            print(f"{side.name} code: {side_prepare(side, has_history=True)}", flush=True)
            print(f"  {side.name}: {positions_write(side, contracts)} open option positions", flush=True)
        measured = {side.name: side_measure(side, sandbox.control, symbols) for side in sides}
        history = stored_history(sides[1].database)
        rebuild = rebuild_rounds(sides, sandbox.control, symbols, rounds=args.rounds, latency=args.latency)
    cycles = {name: runs for name, (runs, _) in measured.items()}
    redis = {name: sizes for name, (_, sizes) in measured.items()}
    print_calls(cycles, len(symbols))
    print_history(history, redis)
    medians = print_rebuild(rebuild, len(symbols), args.latency)
    rows = summary(cycles, rebuild, symbols=len(symbols), positions=len(contracts))
    print()
    print_summary(rows)
    figures = {
        "old_commit": OLD_COMMIT,
        "symbols": len(symbols),
        "positions": len(contracts),
        "cycles": {key: {"label": label, "now": now.isoformat()} for key, label, now in CYCLES},
        "calls": cycles,
        "stored_history": history,
        "redis_after_c": redis,
        "rebuild": {"latency_seconds": args.latency, "median_seconds": medians, "runs": rebuild},
    }
    write_results(NAME, figures, rows)


if __name__ == "__main__":
    main()
