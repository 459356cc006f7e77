"""Benchmark the spec's filtered chain fetch: two targeted calls against the whole chain.

Run `python bench/chain_filter.py [--symbol AAPL] [--today 2026-11-24] [--all-liquid]` from the
repository root. It starts the sandbox provider in-process and, for a liquid symbol, fetches
over HTTP (following `next_url`, pages of 250):

- the whole options chain;
- the spec's short-term call: `expiration_date.gte=today`, `.lte=today+60` (calls and puts);
- the spec's long-term call: `expiration_date.gte=today+365`, `.lte=today+900`, calls only;

and prints contracts, pages and bytes (as sent, and gzip-compressed as the provider would send
them) of each, with the two filtered calls' reduction next to the spec's claim (70–80 % less).
Figures go to bench/results/chain_filter.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools.sandbox.data import LIQUID_SYMBOLS
from devtools.sandbox.server import SandboxServer

PAGE = 250
CLAIM = (70.0, 80.0)  # the spec: "70-80% less data transferred and processed"
RESULTS = Path(__file__).resolve().parent / "results" / "chain_filter.json"
HEADERS = {"Authorization": "Bearer bench"}


@dataclass
class Fetch:
    """What one chain call (all its pages) transferred."""

    contracts: int
    pages: int
    bytes: int
    gzip_bytes: int


def fetch(base_url: str, symbol: str, params: dict[str, Any]) -> Fetch:
    """Fetch every page of one chain call, following next_url as the official client does."""
    url: str | None = f"{base_url}/v3/snapshot/options/{symbol}"
    query: dict[str, Any] | None = {**params, "limit": PAGE}
    total = Fetch(0, 0, 0, 0)
    while url:
        response = requests.get(url, params=query, headers=HEADERS, timeout=30)
        response.raise_for_status()
        body = response.json()
        total.contracts += len(body["results"])
        total.pages += 1
        total.bytes += len(response.content)
        total.gzip_bytes += len(gzip.compress(response.content, compresslevel=6))
        url, query = body.get("next_url"), None
    return total


def measure(base_url: str, symbol: str, today: date) -> dict[str, Fetch]:
    """The whole chain and the spec's two filtered calls for one symbol."""
    short = {
        "expiration_date.gte": today.isoformat(),
        "expiration_date.lte": (today + timedelta(days=60)).isoformat(),
    }
    long = {
        "expiration_date.gte": (today + timedelta(days=365)).isoformat(),
        "expiration_date.lte": (today + timedelta(days=900)).isoformat(),
        "contract_type": "call",
    }
    figures = {
        "whole_chain": fetch(base_url, symbol, {}),
        "short_term_0_60_dte": fetch(base_url, symbol, short),
        "long_term_365_900_calls": fetch(base_url, symbol, long),
    }
    short_fetch, long_fetch = figures["short_term_0_60_dte"], figures["long_term_365_900_calls"]
    figures["filtered_total"] = Fetch(
        *(
            getattr(short_fetch, f) + getattr(long_fetch, f)
            for f in ("contracts", "pages", "bytes", "gzip_bytes")
        )
    )
    return figures


def reduction(part: int, whole: int) -> float:
    """Percent less than the whole."""
    return round(100.0 * (1 - part / whole), 1) if whole else 0.0


def report(symbol: str, today: date, figures: dict[str, Fetch]) -> dict[str, float]:
    """Print the table for one symbol; return its reductions."""
    labels = {
        "whole_chain": "whole chain",
        "short_term_0_60_dte": "0-60 DTE, calls + puts",
        "long_term_365_900_calls": "365-900 days, calls only",
        "filtered_total": "the two filtered calls",
    }
    print(f"\nSandbox chain of {symbol} on {today} (pages of {PAGE}, following next_url)")
    print(f"{'call':<28}{'contracts':>10}{'pages':>7}{'bytes':>12}{'gzip bytes':>12}")
    for key, label in labels.items():
        f = figures[key]
        print(f"{label:<28}{f.contracts:>10,}{f.pages:>7}{f.bytes:>12,}{f.gzip_bytes:>12,}")
    whole, filtered = figures["whole_chain"], figures["filtered_total"]
    reductions = {
        "contracts_pct": reduction(filtered.contracts, whole.contracts),
        "bytes_pct": reduction(filtered.bytes, whole.bytes),
        "gzip_bytes_pct": reduction(filtered.gzip_bytes, whole.gzip_bytes),
    }
    low, high = CLAIM
    verdict = "within" if low <= reductions["bytes_pct"] <= high else "outside"
    print(
        f"reduction: {reductions['contracts_pct']} % fewer contracts, {reductions['bytes_pct']} % fewer "
        f"bytes ({reductions['gzip_bytes_pct']} % gzipped); spec claims {low:.0f}-{high:.0f} % less: "
        f"{verdict} the claim"
    )
    return reductions


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbol", default="AAPL", choices=LIQUID_SYMBOLS)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--all-liquid", action="store_true", help="also summarise every liquid symbol")
    args = parser.parse_args()

    with SandboxServer(today=args.today) as server:
        figures = measure(server.base_url, args.symbol, args.today)
        reductions = report(args.symbol, args.today, figures)
        others: dict[str, dict[str, float]] = {}
        if args.all_liquid:
            print(f"\n{'symbol':<8}{'whole':>8}{'filtered':>10}{'contracts':>11}{'bytes':>8}")
            for symbol in LIQUID_SYMBOLS:
                each = measure(server.base_url, symbol, args.today)
                cut = {
                    "contracts_pct": reduction(
                        each["filtered_total"].contracts, each["whole_chain"].contracts
                    ),
                    "bytes_pct": reduction(each["filtered_total"].bytes, each["whole_chain"].bytes),
                }
                others[symbol] = cut
                print(
                    f"{symbol:<8}{each['whole_chain'].contracts:>8,}{each['filtered_total'].contracts:>10,}"
                    f"{cut['contracts_pct']:>10} %{cut['bytes_pct']:>6} %"
                )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "symbol": args.symbol,
                "today": args.today.isoformat(),
                "page_size": PAGE,
                "calls": {key: asdict(value) for key, value in figures.items()},
                "reduction": reductions,
                "spec_claim_pct": list(CLAIM),
                "liquid_symbols": others,
                "python": platform.python_version(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
