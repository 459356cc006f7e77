"""Benchmark what a symbol costs in Redis against the provider JSON it was built from.

Run `python bench/cache_bytes.py [--symbol AAPL]` from the repository root. With a private
Redis and the in-process sandbox it fetches a liquid symbol's stock data and options chain
through `marketdata.services` (as the API and the refresh command do), then compares:

- Redis `MEMORY USAGE` of `finance:cache:stock:{T}` with its bars key and of
  `finance:cache:options:{T}` with its summary key (the value
  as stored: django-redis' msgpack serializer + zlib compressor, plus Redis' own overhead);
- the raw provider JSON of the same calls, fetched with `requests` straight from the sandbox:
  the daily aggs request mojo makes (730 calendar days) and the spec's two filtered chain
  calls, every page (250 per page, following next_url);
- a pickle-of-dict baseline: `pickle.dumps` of the same payload dicts, the stored form
  django-redis would write with its default serializer and no compressor.

Target: Redis bytes <= 15 % of the raw JSON. Results go to bench/results/cache_bytes.json.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SANDBOX_TODAY, bench_env, print_summary, summary_row, write_results

NAME = "cache_bytes"
TARGET_PCT = 15.0
HEADERS = {"Authorization": "Bearer bench"}
TIMEOUT = (5.0, 60.0)


def raw_json_bytes(url: str, params: dict[str, Any] | None) -> tuple[int, int]:
    """Bytes of every page of one provider call (following next_url); and the page count."""
    total, pages = 0, 0
    next_url: str | None = url
    while next_url:
        response = requests.get(next_url, params=params, headers=HEADERS, timeout=TIMEOUT)
        response.raise_for_status()
        total += len(response.content)
        pages += 1
        next_url, params = response.json().get("next_url"), None
    return total, pages


def provider_calls(base_url: str, symbol: str) -> dict[str, dict[str, int]]:
    """The provider JSON of the calls mojo makes for one symbol's stock data and chain."""
    from marketdata.clients.massive import BARS_LIMIT, CHAIN_PAGE_SIZE
    from marketdata.history_plan import HISTORY_CALENDAR_DAYS
    from marketdata.payloads import LONG_WINDOW_DAYS, SHORT_WINDOW_DAYS

    today = SANDBOX_TODAY
    start = today - timedelta(days=HISTORY_CALENDAR_DAYS)
    chain_url = f"{base_url}/v3/snapshot/options/{symbol}"
    calls = {
        "aggs": (
            f"{base_url}/v2/aggs/ticker/{symbol}/range/1/day/{start.isoformat()}/{today.isoformat()}",
            {"adjusted": "true", "sort": "asc", "limit": BARS_LIMIT},
        ),
        "chain_short": (
            chain_url,
            {
                "expiration_date.gte": (today + timedelta(days=SHORT_WINDOW_DAYS[0])).isoformat(),
                "expiration_date.lte": (today + timedelta(days=SHORT_WINDOW_DAYS[1])).isoformat(),
                "limit": CHAIN_PAGE_SIZE,
            },
        ),
        "chain_long": (
            chain_url,
            {
                "expiration_date.gte": (today + timedelta(days=LONG_WINDOW_DAYS[0])).isoformat(),
                "expiration_date.lte": (today + timedelta(days=LONG_WINDOW_DAYS[1])).isoformat(),
                "contract_type": "call",
                "limit": CHAIN_PAGE_SIZE,
            },
        ),
    }
    out = {}
    for name, (url, params) in calls.items():
        size, pages = raw_json_bytes(url, params)
        out[name] = {"bytes": size, "pages": pages}
    return out


def pct(part: float, whole: float) -> float:
    """`part` as a percentage of `whole`, one decimal."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbol", default="AAPL")
    args = parser.parse_args()
    symbol = args.symbol

    with bench_env() as env:
        from django.core.cache import cache
        from django_redis import get_redis_connection

        from marketdata import cache as md_cache
        from marketdata import services

        stock = services.stock_data_get(symbol)
        chain = services.options_chain_get(symbol)
        redis = get_redis_connection("default")
        bars = services.stock_bars_get(symbol)
        # Each data set with the companion key its fetch writes: bars with stock data, the
        # chain summary (what dashboards read) with the chain.
        keys = {
            "stock": [md_cache.stock_cache_key(symbol), md_cache.bars_cache_key(symbol)],
            "options": [md_cache.options_cache_key(symbol), md_cache.options_summary_cache_key(symbol)],
        }
        memory = {
            name: sum(int(redis.memory_usage(k, samples=0) or 0) for k in ks) for name, ks in keys.items()
        }
        stored = {name: sum(len(redis.get(k) or b"") for k in ks) for name, ks in keys.items()}
        pickled = {
            name: sum(len(pickle.dumps(cache.get(k), protocol=pickle.HIGHEST_PROTOCOL)) for k in ks)
            for name, ks in keys.items()
        }
        payload_pickled = {
            "stock": len(pickle.dumps((stock.value, bars.value), protocol=pickle.HIGHEST_PROTOCOL)),
            "options": len(pickle.dumps(chain.value, protocol=pickle.HIGHEST_PROTOCOL)),
        }
        calls = provider_calls(env.sandbox.base_url, symbol)

    raw = {
        "stock": calls["aggs"]["bytes"],
        "options": calls["chain_short"]["bytes"] + calls["chain_long"]["bytes"],
    }
    total_raw = sum(raw.values())
    total_memory = sum(memory.values())
    total_pickle = sum(pickled.values())
    share = pct(total_memory, total_raw)
    figures = {
        "symbol": symbol,
        "contracts": len(chain.value["contracts"]),
        "bars": len(bars.value["d"]),
        "provider_calls": calls,
        "raw_json_bytes": raw,
        "redis_memory_usage_bytes": memory,
        "redis_value_bytes": stored,
        "pickle_of_stored_dict_bytes": pickled,
        "pickle_of_payload_dict_bytes": payload_pickled,
        "redis_pct_of_raw": {name: pct(memory[name], raw[name]) for name in raw},
        "redis_pct_of_raw_total": share,
        "redis_pct_of_pickle": {name: pct(memory[name], pickled[name]) for name in raw},
        "redis_pct_of_pickle_total": pct(total_memory, total_pickle),
    }
    summary = [
        summary_row("Redis MEMORY USAGE / raw provider JSON", share, TARGET_PCT, at_most=True, unit=" %")
    ]

    print(f"\nRedis bytes per symbol ({symbol}: {figures['bars']} bars, {figures['contracts']} contracts)")
    print(
        f"{'data set':<10}{'raw JSON':>12}{'pickle':>12}{'Redis value':>13}{'MEMORY USAGE':>14}{'% raw':>8}"
    )
    for name in raw:
        print(
            f"{name:<10}{raw[name]:>12,}{pickled[name]:>12,}{stored[name]:>13,}{memory[name]:>14,}"
            f"{figures['redis_pct_of_raw'][name]:>7} %"
        )
    print(
        f"{'total':<10}{total_raw:>12,}{total_pickle:>12,}{sum(stored.values()):>13,}{total_memory:>14,}"
        f"{share:>7} %"
    )
    print(f"Redis / pickle-of-dict: {figures['redis_pct_of_pickle_total']} %")
    print_summary(summary)
    write_results(NAME, figures, summary)


if __name__ == "__main__":
    main()
