"""Benchmark mojo's indicators: TA-Lib wrappers vs bare TA-Lib, and the full per-symbol analytics.

Run `python bench/indicators.py` from the repository root. On synthetic data (500 symbols x
1,260 daily bars, a seeded random walk) it measures, interleaved in one run:

(a) mojo's TA-Lib-backed functions (SMA 20/50/200, RSI14, ATR14) against bare `talib` calls on
    the same arrays, printed as a ratio (target <= 1.5x);
(b) the full `compute_indicators` per symbol (from DailyBar objects: array conversion, swings,
    levels, HV, 52-week figures and the above) as a multiple of (a)'s mojo time (target <= 10x);
    the share of (b) spent only converting DailyBar objects to arrays is shown alongside.

Each round times every variant over all symbols, in rotating order; figures are medians of the
rounds. Results go to bench/results/indicators.json.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from operator import attrgetter
from pathlib import Path

import numpy as np
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketdata.domain import DailyBar
from marketdata.indicators import atr, compute_indicators, rsi, sma

SYMBOLS = 500
BARS = 1260
ROUNDS = 15
TARGET_WRAPPER_RATIO = 1.5
TARGET_FULL_MULTIPLE = 10.0
RESULTS = Path(__file__).resolve().parent / "results" / "indicators.json"

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def synthetic_symbols() -> tuple[list[Arrays], list[list[DailyBar]]]:
    """Return per-symbol (highs, lows, closes) arrays and the same data as DailyBar lists."""
    rng = np.random.default_rng(20261124)
    sessions = [date(2021, 1, 4) + timedelta(days=i) for i in range(BARS)]
    arrays: list[Arrays] = []
    bars: list[list[DailyBar]] = []
    for _ in range(SYMBOLS):
        start = rng.uniform(10, 500)
        closes = start * np.exp(np.cumsum(rng.normal(0.0003, 0.02, BARS)))
        opens = closes * np.exp(rng.normal(0, 0.005, BARS))
        highs = np.maximum(opens, closes) * (1 + rng.uniform(0, 0.02, BARS))
        lows = np.minimum(opens, closes) * (1 - rng.uniform(0, 0.02, BARS))
        volumes = rng.integers(100_000, 10_000_000, BARS).astype(np.float64)
        arrays.append((highs, lows, closes))
        # Python floats, as the provider client builds them.
        rows = zip(
            sessions,
            opens.tolist(),
            highs.tolist(),
            lows.tolist(),
            closes.tolist(),
            volumes.tolist(),
            strict=True,
        )
        bars.append([DailyBar(s, o, h, lo, c, v) for s, o, h, lo, c, v in rows])
    return arrays, bars


def mojo_indicators(arrays: list[Arrays]) -> None:
    for highs, lows, closes in arrays:
        sma(closes, 20)
        sma(closes, 50)
        sma(closes, 200)
        rsi(closes, 14)
        atr(highs, lows, closes, 14)


def bare_talib(arrays: list[Arrays]) -> None:
    for highs, lows, closes in arrays:
        talib.SMA(closes, timeperiod=20)
        talib.SMA(closes, timeperiod=50)
        talib.SMA(closes, timeperiod=200)
        talib.RSI(closes, timeperiod=14)
        talib.ATR(highs, lows, closes, timeperiod=14)


def full_analytics(bars: list[list[DailyBar]]) -> None:
    for symbol_bars in bars:
        compute_indicators(symbol_bars)


def bars_to_arrays(bars: list[list[DailyBar]]) -> None:
    """The part of (b) that only converts DailyBar objects to arrays (shown for the breakdown)."""
    for symbol_bars in bars:
        for field in ("high", "low", "close"):
            np.fromiter(map(attrgetter(field), symbol_bars), dtype=np.float64, count=len(symbol_bars))


def check_agreement(arrays: list[Arrays]) -> None:
    """Fail loudly if mojo's figures differ from bare TA-Lib's (a benchmark of wrong code is moot)."""
    for highs, lows, closes in arrays[:20]:
        pairs = [
            (sma(closes, 20), talib.SMA(closes, timeperiod=20)[-1]),
            (sma(closes, 200), talib.SMA(closes, timeperiod=200)[-1]),
            (rsi(closes, 14), talib.RSI(closes, timeperiod=14)[-1]),
            (atr(highs, lows, closes, 14), talib.ATR(highs, lows, closes, timeperiod=14)[-1]),
        ]
        for ours, theirs in pairs:
            if ours is None or abs(ours - theirs) > 1e-9 * max(1.0, abs(theirs)):
                raise SystemExit(f"mojo {ours} != talib {theirs}")


def main() -> None:
    arrays, bars = synthetic_symbols()
    check_agreement(arrays)
    variants: dict[str, Callable[[], None]] = {
        "mojo_indicators": lambda: mojo_indicators(arrays),
        "bare_talib": lambda: bare_talib(arrays),
        "full_analytics": lambda: full_analytics(bars),
        "bars_to_arrays": lambda: bars_to_arrays(bars),
    }
    for run in variants.values():  # warm-up
        run()
    timings: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_no in range(ROUNDS):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            variants[name]()
            timings[name].append(time.perf_counter() - started)

    medians = {name: statistics.median(values) for name, values in timings.items()}
    wrapper_ratio = medians["mojo_indicators"] / medians["bare_talib"]
    full_multiple = medians["full_analytics"] / medians["mojo_indicators"]
    conversion_share = medians["bars_to_arrays"] / medians["full_analytics"]
    per_symbol_us = {name: value / SYMBOLS * 1e6 for name, value in medians.items()}
    results = {
        "symbols": SYMBOLS,
        "bars": BARS,
        "rounds": ROUNDS,
        "median_seconds": medians,
        "per_symbol_microseconds": per_symbol_us,
        "wrapper_ratio": wrapper_ratio,
        "wrapper_ratio_target": TARGET_WRAPPER_RATIO,
        "full_multiple": full_multiple,
        "full_multiple_target": TARGET_FULL_MULTIPLE,
        "bars_to_arrays_share_of_full": conversion_share,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "talib": talib.__version__,
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    print(f"{SYMBOLS} symbols x {BARS} bars, median of {ROUNDS} interleaved rounds")
    for name, value in per_symbol_us.items():
        print(f"  {name:16s} {value:8.1f} us/symbol")
    verdict = "ok" if wrapper_ratio <= TARGET_WRAPPER_RATIO else "MISSED"
    print(f"(a) mojo / bare TA-Lib     = {wrapper_ratio:5.2f}x (target <= {TARGET_WRAPPER_RATIO}x) {verdict}")
    verdict = "ok" if full_multiple <= TARGET_FULL_MULTIPLE else "MISSED"
    print(f"(b) full analytics / (a)   = {full_multiple:5.2f}x (target <= {TARGET_FULL_MULTIPLE}x) {verdict}")
    print(f"    of which converting DailyBar objects to arrays: {conversion_share:.0%}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
