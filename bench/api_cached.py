"""Benchmark a cached `GET /api/v1/stocks/AAPL/` against a bare authenticated DRF view.

Run `python bench/api_cached.py [--rounds N]` from the repository root. In-process (DRF's
test client, the project's full middleware stack, a private Redis, the sandbox provider), it
warms AAPL's cache once, then times, interleaved in one run, median latency per request of:

- `stock`: the real cached endpoint (stock data and earnings come from Redis);
- `bare`: an `APIView` with the project's default authentication and permission classes that
  returns a constant dict — the very JSON the stock endpoint returned, so both render the
  same number of bytes.

Both run with DRF's user throttle switched off (it costs both variants the same two Redis
round trips and its history grows with the request rate, which is not what is measured here),
once with token authentication (one DB query per request, as real clients) and once with
`force_authenticate` (no DB: the strictest denominator). The target applies to the strict
pair. Redis round trips per request are counted by wrapping redis-py's
`Connection.send_packed_command` (one packet, one round trip; MGET is one), for the stock
view, the bare view and the stock view with the throttle back on. For scale it also times
one Redis GET of a small key and a `cache.get` of AAPL's stock entry alone.
Results go to bench/results/api_cached.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
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

NAME = "api_cached"
SYMBOL = "AAPL"
TARGET_RATIO = 1.3
STOCK_URL = f"/api/v1/stocks/{SYMBOL}/"
BARE_URL = "/bench/bare/"


def install_urlconf(payload: dict[str, Any]) -> Any:
    """Route /bench/bare/ to a bare APIView returning `payload`, in front of mojo's URLs."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareView(APIView):
        """Authenticated (project defaults), no cache, no service: a constant dict."""

        def get(self, request: Request) -> Response:
            return Response(payload)

    module = types.ModuleType("bench_api_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(BARE_URL.strip("/") + "/", BareView.as_view()),
        path("", include("mojo.urls")),
    ]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()
    return BareView


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1500, help="timed requests per variant and auth mode")
    args = parser.parse_args()

    with bench_env():
        from django.core.cache import cache
        from rest_framework.authtoken.models import Token
        from rest_framework.test import APIClient

        from marketdata import cache as md_cache
        from marketdata.views import StockView

        user = make_user("bench")
        token = Token.objects.get(user=user).key
        token_client = APIClient()
        token_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        force_client = APIClient()
        force_client.force_authenticate(user=user)

        first = token_client.get(STOCK_URL)  # fills stock data and earnings from the sandbox
        assert first.status_code == 200, first.content[:300]
        cached = token_client.get(STOCK_URL)
        payload = json.loads(cached.content)
        assert payload["meta"]["cached"] is True, "the stock entry is not cached"
        bare_view = install_urlconf(payload)
        bare = token_client.get(BARE_URL)
        assert bare.status_code == 200, bare.content[:300]
        sizes = {"stock": len(cached.content), "bare": len(bare.content)}

        # Round trips per request, as deployed (throttle on) and as measured (throttle off).
        counter = RoundTrips()
        per_request: dict[str, float] = {}
        commands: dict[str, list[str]] = {}
        samples = 100

        def count(label: str, url: str) -> None:
            counter.reset()
            with counter.counting():
                for _ in range(samples):
                    response = token_client.get(url)
                    assert response.status_code == 200, response.content[:200]
            per_request[label] = counter.count / samples
            commands[label] = sorted(set(counter.commands))

        count("stock_with_throttle", STOCK_URL)
        original_throttles = StockView.throttle_classes
        StockView.throttle_classes = []
        bare_view.throttle_classes = []
        count("stock", STOCK_URL)
        count("bare", BARE_URL)

        cache.set("bench:small", b"x")
        variants = {
            "stock_token": lambda: token_client.get(STOCK_URL),
            "bare_token": lambda: token_client.get(BARE_URL),
            "stock_force": lambda: force_client.get(STOCK_URL),
            "bare_force": lambda: force_client.get(BARE_URL),
            "redis_get_small": lambda: cache.get("bench:small"),
            "cache_get_stock_entry": lambda: md_cache.read(md_cache.stock_cache_key(SYMBOL)),
        }
        started = time.perf_counter()
        timings = interleaved(variants, rounds=args.rounds)
        elapsed = time.perf_counter() - started
        StockView.throttle_classes = original_throttles

        medians = {name: median_us(values) for name, values in timings.items()}
        ratio_force = round(medians["stock_force"] / medians["bare_force"], 3)
        ratio_token = round(medians["stock_token"] / medians["bare_token"], 3)
        figures = {
            "symbol": SYMBOL,
            "rounds": args.rounds,
            "response_bytes": sizes,
            "median_us": medians,
            "ratio_force_authenticate": ratio_force,
            "ratio_token_auth": ratio_token,
            "redis_get_small_vs_bare_force": round(medians["redis_get_small"] / medians["bare_force"], 3),
            "redis_round_trips_per_request": per_request,
            "redis_commands": commands,
            "elapsed_seconds": round(elapsed, 1),
        }
        summary = [
            summary_row("cached stock / bare view, median latency", ratio_force, TARGET_RATIO, at_most=True),
            summary_row(
                "Redis round trips per cached stock request",
                per_request["stock"],
                1,
                at_most=True,
                unit=" RTT",
            ),
        ]

        print(f"\nCached GET {STOCK_URL} vs a bare authenticated APIView ({sizes} response bytes)")
        print(f"{args.rounds} interleaved requests per variant, medians (user throttle off for both):")
        for name, value in medians.items():
            print(f"  {name:<24} {value:>9.1f} us")
        print(f"  ratio, force_authenticate : {ratio_force:.3f}x   (target <= {TARGET_RATIO}x)")
        print(f"  ratio, token auth         : {ratio_token:.3f}x")
        print(
            f"  one Redis GET of a small key = {figures['redis_get_small_vs_bare_force']:.2f}x "
            "of the bare view (force_authenticate)"
        )
        print("Redis round trips per request:")
        for label, value in per_request.items():
            print(f"  {label:<24} {value:g}  {commands[label]}")
        print_summary(summary)
        write_results(NAME, figures, summary)


if __name__ == "__main__":
    main()
