"""Benchmark single-flight: 50 concurrent cold requests for one symbol make one upstream call.

Run `python bench/singleflight.py [--clients 50] [--latency 0.2]` from the repository root.
With a private Redis and the in-process sandbox (every provider answer delayed by `latency`
so the requests really overlap), 50 threads, released together by a barrier, each send
`GET /api/v1/stocks/AAPL/` through DRF's test client with the cache empty and no stored
daily history (each run starts with it forgotten). The sandbox's
counters then say how many upstream calls were made: daily bars (`aggs`, target 1) and
earnings (`fmp_earnings`). Side by side in the same run: one cold request alone (its latency
is the floor the 50 concurrent ones are compared to). Results go to
bench/results/singleflight.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, make_user, print_summary, summary_row, write_results

NAME = "singleflight"
SYMBOL = "AAPL"
URL = f"/api/v1/stocks/{SYMBOL}/"
TARGET_CALLS = 1


def cold_burst(user: Any, clients: int) -> tuple[list[int], list[float]]:
    """Send `clients` concurrent requests; return their statuses and latencies (seconds)."""
    from django.db import close_old_connections
    from rest_framework.test import APIClient

    barrier = threading.Barrier(clients)
    statuses: list[int] = [0] * clients
    latencies: list[float] = [0.0] * clients

    def one(index: int) -> None:
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            barrier.wait()
            started = time.perf_counter()
            statuses[index] = client.get(URL).status_code
            latencies[index] = time.perf_counter() - started
        finally:
            close_old_connections()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2, help="sandbox latency per request (s)")
    args = parser.parse_args()

    with bench_env() as env:
        from django.core.cache import cache
        from rest_framework.test import APIClient

        from marketdata import services
        from marketdata.cache import local_entries

        user = make_user("bench")
        control = env.sandbox.control
        control.latency(args.latency)

        client = APIClient()
        client.force_authenticate(user=user)
        client.get("/api/v1/stocks/MSFT/")  # warm imports, URL resolver and connection pools

        # One cold request alone: the floor.
        cache.clear()
        local_entries.clear()  # and the in-process layer in front of Redis
        services.history_forget(SYMBOL)  # cold: the stored history too
        control.reset()
        control.latency(args.latency)
        started = time.perf_counter()
        status = client.get(URL).status_code
        single_latency = time.perf_counter() - started
        assert status == 200, status
        single_counts = control.counters()["by_endpoint"]

        # The burst.
        cache.clear()
        local_entries.clear()  # and the in-process layer in front of Redis
        services.history_forget(SYMBOL)  # cold: the stored history too
        control.reset()
        control.latency(args.latency)
        statuses, latencies = cold_burst(user, args.clients)
        counts = control.counters()["by_endpoint"]
        control.reset()

    aggs = int(counts.get("aggs", 0))
    figures = {
        "symbol": SYMBOL,
        "clients": args.clients,
        "sandbox_latency_seconds": args.latency,
        "upstream_calls": counts,
        "upstream_calls_single_request": single_counts,
        "statuses": {str(code): statuses.count(code) for code in sorted(set(statuses))},
        "single_request_ms": round(single_latency * 1000, 1),
        "burst_latency_ms": {
            "median": round(statistics.median(latencies) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
    }
    summary = [
        summary_row(
            f"upstream aggs calls for {args.clients} concurrent cold requests",
            aggs,
            TARGET_CALLS,
            at_most=True,
            unit=" calls",
        )
    ]
    print(f"\n{args.clients} concurrent cold GET {URL} (sandbox latency {args.latency * 1000:.0f} ms)")
    print(f"  statuses: {figures['statuses']}")
    print(f"  upstream calls (burst): {counts}")
    print(f"  upstream calls (one request alone): {single_counts}")
    print(
        f"  latency: one alone {figures['single_request_ms']} ms; burst median "
        f"{figures['burst_latency_ms']['median']} ms, max {figures['burst_latency_ms']['max']} ms"
    )
    print_summary(summary)
    write_results(NAME, figures, summary)


if __name__ == "__main__":
    main()
