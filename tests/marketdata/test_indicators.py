"""Indicators on constructed series: reference RSI, hand-computed ATR, SMA/HV/52-week, pivots, levels."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pytest

from marketdata.domain import DailyBar
from marketdata.indicators import (
    atr,
    cluster_levels,
    compute_indicators,
    historical_volatility,
    rsi,
    sma,
    support_resistance,
    swing_points,
)

START = date(2025, 1, 1)

# math-and-calendar.md: the public RSI example and TA-Lib's RSI(14) from index 14.
RSI_CLOSES = [
    44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61,
    46.28, 46.28, 46.00, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25, 45.71, 46.45, 45.78, 45.35,
    44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13,
]  # fmt: skip
RSI_REFERENCE = [
    70.4641, 66.2496, 66.4809, 69.3469, 66.2947, 57.9150, 62.8807, 63.2088, 56.0116, 62.3399,
    54.6710, 50.3868, 40.0194, 41.4926, 41.9024, 45.4995, 37.3228, 33.0905, 37.7888,
]  # fmt: skip


def make_bars(
    closes: Sequence[float],
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    volumes: Sequence[float] | None = None,
) -> list[DailyBar]:
    """Bars on consecutive days; highs/lows default to the closes."""
    highs = highs if highs is not None else closes
    lows = lows if lows is not None else closes
    volumes = volumes if volumes is not None else [1000.0] * len(closes)
    return [
        DailyBar(START + timedelta(days=i), c, h, lo, c, v)
        for i, (c, h, lo, v) in enumerate(zip(closes, highs, lows, volumes, strict=True))
    ]


def day(index: int) -> str:
    return (START + timedelta(days=index)).isoformat()


# --- RSI / ATR ---------------------------------------------------------------------------------


def test_rsi_reproduces_the_reference_series_from_index_14() -> None:
    closes = np.array(RSI_CLOSES)
    series = [rsi(closes[: end + 1], 14) for end in range(14, len(RSI_CLOSES))]

    assert series == pytest.approx(RSI_REFERENCE, abs=5e-5)


def test_rsi_needs_fifteen_closes() -> None:
    assert rsi(np.array(RSI_CLOSES[:14]), 14) is None


def test_atr_follows_wilder_smoothing_seeded_with_the_mean_of_bars_1_to_14() -> None:
    # Closes stay at 100, so each bar's true range is its high - low: 1, 2, ... 14 for bars
    # 1..14 (bar 0's range never counts), then 22 and 1.
    ranges = [50.0, *range(1, 15), 22.0, 1.0]
    highs = [100.0 + r / 2 for r in ranges]
    lows = [100.0 - r / 2 for r in ranges]
    closes = [100.0] * len(ranges)
    seed = sum(range(1, 15)) / 14  # 7.5
    expected = [seed, (seed * 13 + 22) / 14, ((seed * 13 + 22) / 14 * 13 + 1) / 14]

    series = [
        atr(np.array(highs[: end + 1]), np.array(lows[: end + 1]), np.array(closes[: end + 1]), 14)
        for end in range(14, 17)
    ]

    assert series == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx([7.5, 119.5 / 14, 1567.5 / 196], abs=1e-12)


def test_atr_true_range_reaches_back_to_the_previous_close_across_a_gap() -> None:
    # 15 quiet bars (range 1 around 100), then a gap-up bar 110-111 after a close of 100:
    # its true range is 111 - 100 = 11, not its own range of 1.
    highs = [100.5] * 15 + [111.0]
    lows = [99.5] * 15 + [110.0]
    closes = [100.0] * 15 + [110.5]

    value = atr(np.array(highs), np.array(lows), np.array(closes), 14)

    assert value == pytest.approx((1.0 * 13 + 11.0) / 14, abs=1e-12)


# --- SMA / HV / 52-week ------------------------------------------------------------------------


def test_sma_is_the_mean_of_the_last_n_closes() -> None:
    closes = np.arange(1.0, 251.0)  # 1 .. 250

    assert sma(closes, 20) == pytest.approx(240.5)
    assert sma(closes, 50) == pytest.approx(225.5)
    assert sma(closes, 200) == pytest.approx(150.5)


def test_sma_200_is_null_below_200_bars() -> None:
    result = compute_indicators(make_bars([float(c) for c in range(1, 200)]))

    assert result["sma_200"] is None
    assert result["sma_50"] == pytest.approx(174.5)


def test_historical_volatility_is_the_sample_stdev_of_the_last_n_log_returns_annualised() -> None:
    # Noisy history first, then 20 log returns alternating +1 % / -1 %: only the last 20 count.
    rng = np.random.default_rng(7)
    noisy = 100 * np.exp(np.cumsum(rng.normal(0, 0.05, 40)))
    steps = np.tile([0.01, -0.01], 10)
    closes = np.concatenate((noisy, noisy[-1] * np.exp(np.cumsum(steps))))
    sample = 0.01 * math.sqrt(20 / 19) * math.sqrt(252)  # mean 0, ddof=1

    assert historical_volatility(closes, 20) == pytest.approx(sample, rel=1e-9)


def test_historical_volatility_is_not_the_population_stdev() -> None:
    closes = 100 * np.exp(np.cumsum(np.tile([0.01, -0.01], 10)))
    closes = np.concatenate(([100.0], closes))
    population = 0.01 * math.sqrt(252)

    assert historical_volatility(closes, 20) != pytest.approx(population, rel=1e-6)


def test_historical_volatility_needs_n_plus_one_closes() -> None:
    assert historical_volatility(np.linspace(100, 120, 20), 20) is None
    assert historical_volatility(np.linspace(100, 120, 21), 20) is not None


def test_52_week_high_and_low_come_from_the_last_252_sessions_with_their_dates() -> None:
    size = 300
    closes = [100.0] * size
    highs = [101.0] * size
    lows = [99.0] * size
    highs[10], lows[20] = 500.0, 1.0  # older than 252 sessions: ignored
    highs[100], lows[250] = 130.0, 80.0
    highs[size - 1] = 120.0  # the latest bar counts too

    result = compute_indicators(make_bars(closes, highs, lows))

    assert (result["high_52w"], result["high_52w_date"]) == (130.0, day(100))
    assert (result["low_52w"], result["low_52w_date"]) == (80.0, day(250))


def test_52_week_high_tie_takes_the_most_recent_session() -> None:
    size = 260
    highs = [101.0] * size
    highs[100] = highs[200] = 130.0

    result = compute_indicators(make_bars([100.0] * size, highs, [99.0] * size))

    assert result["high_52w_date"] == day(200)


def test_52_week_figures_are_null_below_252_bars() -> None:
    result = compute_indicators(make_bars([100.0] * 251))

    assert result["high_52w"] is None
    assert result["low_52w_date"] is None


def test_average_volume_is_the_mean_of_the_last_20_sessions() -> None:
    volumes = [1e9] * 5 + [float(v) for v in range(1, 21)]

    result = compute_indicators(make_bars([100.0] * 25, volumes=volumes))

    assert result["avg_volume_20"] == pytest.approx(10.5)


def test_compute_indicators_on_empty_bars_is_all_null() -> None:
    result = compute_indicators([])

    assert result["rsi_14"] is None
    assert result["swing_highs"] == []
    assert result["support_levels"] == []


def test_compute_indicators_result_is_json_serialisable() -> None:
    rng = np.random.default_rng(3)
    closes = (100 * np.exp(np.cumsum(rng.normal(0, 0.02, 400)))).tolist()
    bars = make_bars(closes, [c * 1.01 for c in closes], [c * 0.99 for c in closes])

    result = compute_indicators(bars)

    assert json.loads(json.dumps(result)) == result
    assert set(result) >= {
        "sma_20", "sma_50", "sma_200", "high_52w", "high_52w_date", "low_52w", "low_52w_date",
        "rsi_14", "atr_14", "hv_20", "hv_30", "avg_volume_20", "swing_highs", "swing_lows",
        "support_levels", "resistance_levels",
    }  # fmt: skip


# --- Swing points -------------------------------------------------------------------------------


def test_swing_high_must_be_strictly_above_the_window_on_both_sides() -> None:
    #         0  1  2  3  4  5  6  7  8  9 10 11 12
    highs = [1, 2, 3, 9, 4, 3, 2, 5, 2, 1, 0, 1, 0]
    lows = [0] * len(highs)

    swing_highs, _ = swing_points(np.array(highs, float), np.array(lows, float), window=2)

    assert swing_highs.tolist() == [3, 7]


def test_a_plateau_top_is_not_a_swing_high() -> None:
    highs = [1, 2, 3, 7, 7, 3, 2, 1, 0]

    swing_highs, _ = swing_points(np.array(highs, float), np.zeros(len(highs)), window=2)

    assert swing_highs.tolist() == []


def test_a_tie_at_the_edge_of_the_window_prevents_a_pivot() -> None:
    # Bar 4 (value 8) ties bar 6, two bars away (inside window 2); bar 6 ties bar 4.
    highs = [1, 2, 3, 2, 8, 1, 8, 2, 1, 0, 1]

    swing_highs, _ = swing_points(np.array(highs, float), np.zeros(len(highs)), window=2)

    assert swing_highs.tolist() == []


def test_swing_lows_mirror_swing_highs() -> None:
    lows = [9, 8, 7, 1, 6, 7, 8, 4, 8, 9, 10, 9, 10]

    _, swing_lows = swing_points(np.full(len(lows), 20.0), np.array(lows, float), window=2)

    assert swing_lows.tolist() == [3, 7]


def test_the_last_window_bars_are_never_pivots() -> None:
    # The spike at index 8 has only 1 bar after it: unconfirmed with window 2.
    highs = [5, 4, 3, 2, 1, 2, 3, 4, 9, 1]

    swing_highs, _ = swing_points(np.array(highs, float), np.zeros(len(highs)), window=2)

    assert swing_highs.tolist() == []


def test_default_window_is_five_bars_each_side() -> None:
    highs = np.full(30, 10.0)
    highs[8] = 12.0  # 5 lower bars each side: a pivot
    highs[16] = 11.0
    highs[20] = 11.5  # within 5 bars of 16 and higher: 16 is not a pivot, 20 is
    highs[26] = 13.0  # only 3 bars after it: not confirmed

    swing_highs, _ = swing_points(highs, np.full(30, 5.0))

    assert swing_highs.tolist() == [8, 20]


def test_compute_indicators_lists_the_latest_10_swings_newest_first() -> None:
    size = 12 * 6 + 6
    highs = [10.0] * size
    lows = [5.0] * size
    spikes = list(range(5, size - 5, 6))  # 12 pivots, 6 bars apart
    for n, i in enumerate(spikes):
        highs[i] = 20.0 + n
        lows[i] = 1.0 - n / 100

    result = compute_indicators(make_bars([7.0] * size, highs, lows))

    assert [s["date"] for s in result["swing_highs"]] == [day(i) for i in reversed(spikes[-10:])]
    assert result["swing_highs"][0]["price"] == 31.0
    assert [s["date"] for s in result["swing_lows"]] == [day(i) for i in reversed(spikes[-10:])]


# --- Support / resistance -----------------------------------------------------------------------


def test_cluster_levels_groups_prices_within_the_tolerance_and_needs_two_touches() -> None:
    prices = np.array([110.3, 99.9, 100.2, 112.0, 100.0, 110.0])
    indices = np.array([50, 10, 60, 70, 30, 40])

    levels = cluster_levels(prices, indices, tolerance=0.5)

    assert [(round(lv.price, 6), lv.strength, lv.last_touch) for lv in levels] == [
        (round((99.9 + 100.0 + 100.2) / 3, 6), 3, 60),
        (110.15, 2, 50),
    ]


def test_cluster_levels_spans_at_most_the_tolerance_from_the_lowest_member() -> None:
    # A chain 0.4 apart: 100, 100.4 join; 100.8 is 0.8 above the group's start and starts anew.
    levels = cluster_levels(np.array([100.0, 100.4, 100.8, 101.2]), np.arange(4), tolerance=0.5)

    assert [(lv.price, lv.strength) for lv in levels] == [
        (pytest.approx(100.2), 2),
        (pytest.approx(101.0), 2),
    ]


def _pivot_series(size: int, high_spikes: dict[int, float], low_spikes: dict[int, float]):
    """Flat bars (high 106, low 104, close 105) with single-bar spikes that are pivots."""
    highs = np.full(size, 106.0)
    lows = np.full(size, 104.0)
    for i, price in high_spikes.items():
        highs[i] = price
    for i, price in low_spikes.items():
        lows[i] = price
    swing_highs, swing_lows = swing_points(highs, lows)
    return highs, lows, swing_highs, swing_lows


def test_levels_split_into_support_below_and_resistance_above_the_last_close() -> None:
    highs, lows, sh, sl = _pivot_series(
        300,
        high_spikes={100: 110.0, 160: 110.3, 200: 112.0},
        low_spikes={80: 100.0, 130: 100.2, 220: 99.9},
    )

    support, resistance = support_resistance(highs, lows, sh, sl, last_close=105.0, atr_14=2.0)

    assert [(round(lv.price, 4), lv.strength, lv.last_touch) for lv in support] == [(100.0333, 3, 220)]
    assert [(round(lv.price, 4), lv.strength, lv.last_touch) for lv in resistance] == [(110.15, 2, 160)]


def test_pivots_older_than_252_sessions_do_not_make_levels() -> None:
    # 110.0 at bar 20 is older than 252 sessions (of 300); alone, 110.2 has one touch.
    highs, lows, sh, sl = _pivot_series(300, high_spikes={20: 110.0, 200: 110.2}, low_spikes={})

    _, resistance = support_resistance(highs, lows, sh, sl, last_close=105.0, atr_14=2.0)

    assert resistance == []


def test_level_tolerance_is_the_larger_of_half_a_percent_and_a_quarter_atr() -> None:
    # Two highs 0.8 apart: 0.5 % of 105 is 0.525 (apart), a quarter of ATR 4 is 1.0 (together).
    highs, lows, sh, sl = _pivot_series(300, high_spikes={100: 110.0, 200: 110.8}, low_spikes={})

    _, narrow = support_resistance(highs, lows, sh, sl, last_close=105.0, atr_14=2.0)
    _, wide = support_resistance(highs, lows, sh, sl, last_close=105.0, atr_14=4.0)

    assert narrow == []
    assert [(lv.price, lv.strength) for lv in wide] == [(pytest.approx(110.4), 2)]


def test_levels_keep_the_three_nearest_nearest_first() -> None:
    spikes = {}
    for n, level in enumerate([120.0, 110.0, 130.0, 115.0]):
        spikes[60 + 40 * n] = level
        spikes[80 + 40 * n] = level
    highs, lows, sh, sl = _pivot_series(300, high_spikes=spikes, low_spikes={})

    _, resistance = support_resistance(highs, lows, sh, sl, last_close=105.0, atr_14=1.0)

    assert [lv.price for lv in resistance] == [110.0, 115.0, 120.0]


def test_compute_indicators_reports_levels_with_iso_last_touch() -> None:
    size = 300
    highs = [106.0] * size
    lows = [104.0] * size
    highs[150] = highs[230] = 110.0
    lows[170] = lows[250] = 100.0

    result = compute_indicators(make_bars([105.0] * size, highs, lows))

    assert result["resistance_levels"] == [{"price": 110.0, "strength": 2, "last_touch": day(230)}]
    assert result["support_levels"] == [{"price": 100.0, "strength": 2, "last_touch": day(250)}]
