"""Load test (`make load`, not in CI): locust against gunicorn, Redis and the sandbox on loopback.

Run `python bench/load.py [--duration 60] [--users 16] [--workers 4]` from the repository
root (locust comes with the `load` extra: `pip install -e '.[load]'`). The script starts, all
on 127.0.0.1 and all its own:

- a private redis-server and the sandbox provider (its own process, today 2026-11-24);
- a temporary SQLite database, migrated and seeded by `python bench/load.py seed`: 8 users,
  each with a token, a 10-symbol watchlist and open stock and option positions; then
  `refresh_market_data` warms the cache as cron would;
- gunicorn as `make serve` runs it (production settings, mojo/gunicorn_conf.py, 4 workers),
  with mojo's clock pinned to the sandbox's day (MOJO_FROZEN_NOW), plain HTTP and the DRF
  throttle raised (API_THROTTLE_USER_RATE=100000/min) so throttling is not what is measured;

then runs `locust --headless` with this file as the locustfile for `duration` seconds of
mixed authenticated traffic (dashboard, stock, options chain, option price, positions), no
think time, and prints requests/s, p50/p95/p99 and errors (target: zero errors). Figures go to
bench/results/load.json; everything started is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
NAME = "load"
USERS = 8
WATCHED = 10
FROZEN_NOW = "2026-11-24T16:30:00-05:00"  # the sandbox's pinned day, after the close
THROTTLE_RATE = "100000/min"
# Request mix (locust task weights).
WEIGHTS = {"dashboard": 2, "stock": 4, "options": 2, "option_price": 2, "positions": 2}


# --- Orchestration ----------------------------------------------------------------------------------
def mojo_env(directory: Path, redis_url: str, sandbox_url: str) -> dict[str, str]:
    """The environment of every mojo process of the run (seed and gunicorn alike)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        # IMMEDIATE: refresh threads write IV snapshots at once (see bench/common.py).
        "DATABASE_URL": f"sqlite:///{directory / 'load.sqlite3'}?transaction_mode=IMMEDIATE",
        "REDIS_URL": redis_url,
        "MASSIVE_BASE_URL": sandbox_url,
        "FMP_BASE_URL": sandbox_url,
        "MASSIVE_API_KEY": "load-test",
        "FMP_API_KEY": "load-test",
        "MOJO_FROZEN_NOW": FROZEN_NOW,
        "API_THROTTLE_USER_RATE": THROTTLE_RATE,
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "prometheus"),
        "GUNICORN_ACCESS_LOG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def wait_for_http(url: str, *, timeout: float, process: subprocess.Popen[Any]) -> None:
    """Poll `url` until it answers 200; fail when `process` exits or time runs out."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def stop(process: subprocess.Popen[Any] | None, *, timeout: float = 30) -> None:
    """Stop a process we started: SIGTERM, then SIGKILL if it does not go."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def locust_figures(prefix: Path) -> dict[str, Any]:
    """Read locust's CSV stats: the aggregated row and one per request name."""

    def number(value: str) -> float | None:
        try:
            return float(value)
        except ValueError:
            return None

    rows = {}
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "requests_per_s": number(row["Requests/s"]),
                "p50_ms": number(row["50%"]),
                "p95_ms": number(row["95%"]),
                "p99_ms": number(row["99%"]),
                "max_ms": number(row["Max Response Time"]),
            }
    failures = []
    failures_path = Path(f"{prefix}_failures.csv")
    if failures_path.exists():
        with failures_path.open(newline="") as handle:
            failures = [
                {"name": r["Name"], "error": r["Error"][:200], "occurrences": int(r["Occurrences"])}
                for r in csv.DictReader(handle)
            ]
    return {"aggregated": rows.pop("Aggregated"), "by_request": rows, "failures": failures}


def orchestrate(args: argparse.Namespace) -> None:
    from bench.common import SandboxProcess, print_summary, summary_row, write_results
    from devtools.localredis import LocalRedis, free_port

    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        sys.exit("locust is not installed: pip install -e '.[load]' (or run `make load`)")
    directory = Path(tempfile.mkdtemp(prefix="mojo-load-"))
    (directory / "prometheus").mkdir()
    redis_server = LocalRedis().start()
    sandbox = None
    gunicorn = None
    log_path = directory / "gunicorn.log"
    try:
        sandbox = SandboxProcess()
        env = mojo_env(directory, redis_server.url, sandbox.base_url)
        plan_path = directory / "plan.json"
        print("seeding users, watchlists and positions; warming the cache...", flush=True)
        subprocess.run(
            [sys.executable, __file__, "seed", "--out", str(plan_path)], cwd=ROOT, env=env, check=True
        )
        plan = json.loads(plan_path.read_text())
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        with log_path.open("w") as log:
            gunicorn = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "mojo.wsgi:application",
                    *("-c", "mojo/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}"),
                    *("--workers", str(args.workers), "--timeout", "30"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_http(f"{host}/healthz", timeout=60, process=gunicorn)
        print(
            f"gunicorn ({args.workers} workers) on {host}; locust: {args.users} users, {args.duration} s, "
            f"mix {WEIGHTS}",
            flush=True,
        )
        prefix = directory / "locust"
        started = time.monotonic()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                *("-f", __file__, "--headless", "--host", host),
                *("--users", str(args.users), "--spawn-rate", str(args.users)),
                *("--run-time", f"{args.duration}s", "--stop-timeout", "10", "--csv", str(prefix)),
                *("--only-summary", "--loglevel", "WARNING"),
            ],
            cwd=ROOT,
            env={**os.environ, "MOJO_LOAD_PLAN": str(plan_path), "PYTHONUNBUFFERED": "1"},
            check=False,
        )
        wall = time.monotonic() - started
        figures = locust_figures(prefix)
        stop(gunicorn)
        log_text = log_path.read_text(errors="replace")
        server_errors = sum(1 for line in log_text.splitlines() if "Traceback" in line or '"ERROR"' in line)
    finally:
        stop(gunicorn)
        if sandbox is not None:
            sandbox.stop()
        redis_server.stop()

    total = figures["aggregated"]
    errors = total["failures"]
    result = {
        "duration_seconds": args.duration,
        "locust_wall_seconds": round(wall, 1),
        "locust_users": args.users,
        "gunicorn_workers": args.workers,
        "mojo_users": len(plan["tokens"]),
        "mix": WEIGHTS,
        "requests": total["requests"],
        "errors": errors,
        "requests_per_s": total["requests_per_s"],
        "p50_ms": total["p50_ms"],
        "p95_ms": total["p95_ms"],
        "p99_ms": total["p99_ms"],
        "max_ms": total["max_ms"],
        "by_request": figures["by_request"],
        "failures": figures["failures"],
        "server_error_log_lines": server_errors,
        "cpus": os.cpu_count(),
    }
    summary = [summary_row("errors in the load test", errors, 0, at_most=True, unit=" errors")]
    setup = f"{args.users} locust users, gunicorn {args.workers} workers, {os.cpu_count()} CPUs"
    print(f"\n{args.duration} s, {setup}")
    print(f"{'request':<28}{'count':>8}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, row in [*figures["by_request"].items(), ("total", total)]:
        print(
            f"{name:<28}{row['requests']:>8}{row['failures']:>8}{row['requests_per_s'] or 0:>9.1f}"
            f"{row['p50_ms'] or 0:>9.0f}{row['p95_ms'] or 0:>9.0f}{row['p99_ms'] or 0:>9.0f}"
        )
    for failure in figures["failures"]:
        print(f"  failure: {failure}")
    print(f"server log: {server_errors} error/traceback lines")
    print_summary(summary)
    write_results(NAME, result, summary)
    shutil.rmtree(directory, ignore_errors=True)


# --- Seeding (runs in a subprocess with the run's production settings) ---------------------------------
def seed(out: Path) -> None:
    """Create users with tokens, watchlists and positions; warm the cache; write the plan."""
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from devtools.sandbox.data import LIQUID_SYMBOLS, UNIVERSE
    from marketdata import services
    from watchlist.selectors import open_option_contracts
    from watchlist.services import position_open, watchlist_add

    call_command("migrate", verbosity=0, interactive=False)
    pool = list(LIQUID_SYMBOLS) + [s for s, p in UNIVERSE.items() if p.liquidity == "normal"]
    rng = random.Random(20261124)  # a reproducible plan
    tokens: list[str] = []
    watched: dict[str, list[str]] = {}
    for number in range(1, USERS + 1):
        user = get_user_model().objects.create_user(username=f"load{number}", password=secrets.token_hex(8))
        token, _ = Token.objects.get_or_create(user=user)
        symbols = rng.sample(pool, WATCHED)
        for symbol in symbols:
            watchlist_add(user=user, symbol=symbol)
        tokens.append(token.key)
        watched[token.key] = symbols
    all_symbols = sorted({s for symbols in watched.values() for s in symbols})
    services.market_data_refresh(symbols=all_symbols, concurrency=8)

    # Positions: shares of the first watched symbol, a short put and a long call on the second.
    option_tickers: list[str] = []
    users = get_user_model().objects.filter(username__startswith="load").order_by("username")
    for user, key in zip(users, tokens, strict=True):
        first, second = watched[key][:2]
        position_open(
            user=user,
            symbol=first,
            instrument="stock",
            quantity=100,
            entry_price=Decimal("100"),
            strategy="stock",
        )
        contracts = services.options_chain_get(second).value["contracts"]
        puts = [c for c in contracts if c["ct"] == "put"]
        calls = [c for c in contracts if c["ct"] == "call"]
        for contract, quantity, strategy in ((puts, -1, "csp"), (calls, 1, "leaps")):
            if not contract:
                continue
            chosen = contract[len(contract) // 2]
            position_open(
                user=user,
                symbol=second,
                instrument="option",
                option_ticker=chosen["t"],
                quantity=quantity,
                entry_price=Decimal("5.00"),
                strategy=strategy,
            )
            option_tickers.append(chosen["t"])
    services.market_data_refresh(  # and the positions' option prices
        symbols=all_symbols, contracts=open_option_contracts(underlyings=all_symbols), concurrency=8
    )
    out.write_text(
        json.dumps({"tokens": tokens, "watched": watched, "option_tickers": option_tickers}, indent=2) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", default="run", choices=("run", "seed"))
    parser.add_argument("--duration", type=int, default=60, help="seconds of traffic")
    parser.add_argument("--users", type=int, default=16, help="concurrent locust users")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--out", type=Path, help="(seed) where to write the plan")
    args = parser.parse_args()
    if args.mode == "seed":
        seed(args.out)
    else:
        orchestrate(args)


# --- The locustfile: locust imports this module (not as __main__) ---------------------------------------
if __name__ != "__main__" and os.environ.get("MOJO_LOAD_PLAN"):
    from locust import FastHttpUser, constant, task

    _PLAN = json.loads(Path(os.environ["MOJO_LOAD_PLAN"]).read_text())
    _TOKENS = itertools.cycle(_PLAN["tokens"])

    class MojoUser(FastHttpUser):
        """One API client: a mojo user's token, its watchlist and the plan's option tickers."""

        wait_time = constant(0)

        def on_start(self) -> None:
            key = next(_TOKENS)
            self.headers = {"Authorization": f"Token {key}"}
            self.symbols = _PLAN["watched"][key]
            self.option_tickers = _PLAN["option_tickers"]

        def get(self, path: str, name: str) -> None:
            self.client.get(path, headers=self.headers, name=name)

        @task(WEIGHTS["dashboard"])
        def dashboard(self) -> None:
            self.get("/api/v1/dashboard/", "dashboard")

        @task(WEIGHTS["stock"])
        def stock(self) -> None:
            self.get(f"/api/v1/stocks/{random.choice(self.symbols)}/", "stocks/{symbol}")

        @task(WEIGHTS["options"])
        def options(self) -> None:
            symbol = random.choice(self.symbols)
            self.get(f"/api/v1/stocks/{symbol}/options/?max_dte=60&type=put", "stocks/{symbol}/options")

        @task(WEIGHTS["option_price"])
        def option_price(self) -> None:
            self.get(f"/api/v1/options/{random.choice(self.option_tickers)}/", "options/{option_ticker}")

        @task(WEIGHTS["positions"])
        def positions(self) -> None:
            self.get("/api/v1/positions/", "positions")


if __name__ == "__main__":
    main()
