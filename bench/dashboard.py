"""Benchmark `GET /api/v1/dashboard/`: 50 watched symbols, all cached, against one.

Run `python bench/dashboard.py [--rounds N] [--symbols 50]` from the repository root. With a
private Redis and the in-process sandbox, one user watches 50 symbols of the sandbox's
universe and another watches one (AAPL); `refresh_market_data` warms stock data, chains and
earnings for all of them. Then, interleaved in one run, it times each user's dashboard
through DRF's test client (force_authenticate, user throttle off for both) and reports the
median latency ratio (target <= 3x).

Redis round trips per dashboard are counted by wrapping redis-py's
`Connection.send_packed_command` (one packet, one round trip): in total, and the ones that
read `finance:cache:stock:` keys (target: one round trip for the 50 stock entries).
Results go to bench/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    RoundTrips,
    bench_env,
    interleaved,
    make_user,
    median_us,
    print_summary,
    summary_row,
    write_results,
)

NAME = "dashboard"
URL = "/api/v1/dashboard/"
TARGET_RATIO = 3.0
TARGET_STOCK_ROUND_TRIPS = 1
STOCK_PREFIX = "finance:cache:stock:"


def dashboard_view_class() -> Any:
    """The view behind URL, or None while the endpoint does not exist."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(URL)
    except Resolver404:
        return None
    except Exception as error:  # the URLconf itself does not load: say why, measure nothing
        print(f"cannot resolve {URL}: {type(error).__name__}: {error}")
        return None
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if view_class is None or "dashboard" not in str(match.route):
        return None
    return view_class


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--symbols", type=int, default=50)
    args = parser.parse_args()

    with bench_env():
        from rest_framework.test import APIClient

        from devtools.sandbox.data import UNIVERSE
        from marketdata import services
        from watchlist.services import watchlist_add

        view_class = dashboard_view_class()
        if view_class is None:
            print(f"{URL} does not exist yet: nothing to measure")
            summary = [
                summary_row(
                    "dashboard 50 symbols / 1 symbol, median latency", None, TARGET_RATIO, at_most=True
                ),
                summary_row(
                    "Redis round trips for the 50 stock entries",
                    None,
                    TARGET_STOCK_ROUND_TRIPS,
                    at_most=True,
                    unit=" RTT",
                ),
            ]
            write_results(NAME, {"error": f"{URL} not found"}, summary)
            sys.exit(1)
        view_class.throttle_classes = []

        symbols = ["AAPL", *[s for s in sorted(UNIVERSE) if s != "AAPL"]][: args.symbols]
        many, one = make_user("many"), make_user("one")
        for symbol in symbols:
            watchlist_add(user=many, symbol=symbol)
        watchlist_add(user=one, symbol="AAPL")
        started = time.perf_counter()
        report = services.market_data_refresh(symbols=symbols, concurrency=8)
        warm_seconds = time.perf_counter() - started
        assert not report.failed, [r.symbol for r in report.failed]

        clients = {}
        for label, user in (("many", many), ("one", one)):
            client = APIClient()
            client.force_authenticate(user=user)
            clients[label] = client
        bodies = {}
        for label, client in clients.items():
            response = client.get(URL)
            assert response.status_code == 200, response.content[:300]
            bodies[label] = json.loads(response.content)
        rows = bodies["many"].get("watchlist", [])
        errors = [row for row in rows if row.get("error")]
        assert len(rows) == len(symbols), f"{len(rows)} rows for {len(symbols)} symbols"

        # Round trips per dashboard.
        counter = RoundTrips()
        per_dashboard: dict[str, dict[str, Any]] = {}
        for label, client in clients.items():
            counter.reset()
            with counter.counting():
                client.get(URL)
            stock_packets = counter.touching(STOCK_PREFIX)
            per_dashboard[label] = {
                "round_trips": counter.count,
                "commands": counter.commands,
                "stock_round_trips": len(stock_packets),
                "stock_keys_read": sum(
                    1
                    for packet in stock_packets
                    for _, a in packet
                    for key in a
                    if key.startswith(STOCK_PREFIX)
                ),
            }

        timings = interleaved(
            {label: (lambda c=client: c.get(URL)) for label, client in clients.items()}, rounds=args.rounds
        )
        medians = {label: median_us(values) for label, values in timings.items()}
        ratio = round(medians["many"] / medians["one"], 3)

    figures = {
        "symbols": len(symbols),
        "rounds": args.rounds,
        "median_us": medians,
        "ratio": ratio,
        "per_symbol_us": round((medians["many"] - medians["one"]) / max(1, len(symbols) - 1), 1),
        "response_bytes": {label: len(json.dumps(body)) for label, body in bodies.items()},
        "row_errors": len(errors),
        "redis": per_dashboard,
        "warm_refresh_seconds": round(warm_seconds, 2),
    }
    summary = [
        summary_row(
            f"dashboard {len(symbols)} symbols / 1 symbol, median latency", ratio, TARGET_RATIO, at_most=True
        ),
        summary_row(
            f"Redis round trips for the {len(symbols)} stock entries",
            per_dashboard["many"]["stock_round_trips"],
            TARGET_STOCK_ROUND_TRIPS,
            at_most=True,
            unit=" RTT",
        ),
    ]
    print(f"\nGET {URL}: {len(symbols)} watched symbols vs 1, all cached ({args.rounds} interleaved rounds)")
    for label, value in medians.items():
        print(f"  {label:<6} {value:>10.1f} us  ({figures['response_bytes'][label]:,} bytes)")
    print(f"  ratio {ratio}x (target <= {TARGET_RATIO}x); {figures['per_symbol_us']} us per extra symbol")
    for label, info in per_dashboard.items():
        print(
            f"  Redis, {label}: {info['round_trips']} round trips {info['commands']}; "
            f"{info['stock_round_trips']} of them read {info['stock_keys_read']} stock keys"
        )
    if errors:
        print(f"  {len(errors)} rows carried an error: {errors[:3]}")
    print_summary(summary)
    write_results(NAME, figures, summary)


if __name__ == "__main__":
    main()
