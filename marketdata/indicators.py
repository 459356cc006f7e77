"""Technical indicators from daily bars: moving averages, RSI, ATR, volatility, pivots, levels.

Pure computation (no Django): plain arrays in, plain values out, vectorised with numpy and
TA-Lib (no per-bar Python loops). Definitions follow ../shared/reference/math-and-calendar.md:

- SMA(n): mean of the last n closes; None with fewer than n bars.
- RSI(14) and ATR(14): Wilder's, computed by TA-Lib over the full history passed in (both
  depend on where the history starts, so callers pass everything they fetched).
- HV(n): sample standard deviation (ddof=1) of the last n log returns x sqrt(252), an
  annualised fraction (0.35 = 35 %).
- 52-week high/low: max High / min Low over the last 252 sessions including the latest; on a
  tie the most recent session carries the date. None with fewer than 252 bars.
- Swing points: fractal pivots; bar i is a swing high when its high is strictly greater than
  the highs of the `window` bars on each side (lows mirrored). Only confirmed pivots count, so
  the last `window` bars are never pivots and neither is either bar of an equal-valued top.
- Support/resistance: the confirmed pivots (swing-high highs and swing-low lows) of the last
  252 sessions, sorted by price and grouped greedily from the lowest so that every group spans
  at most max(0.5 % of the last close, 0.25 x ATR14). A level is a group's mean price, its
  strength the number of pivots in it (levels need >= 2). Levels strictly below the last close
  are support, strictly above are resistance; the 3 nearest of each, nearest first.

Bars must be in ascending session order.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, TypedDict

import numpy as np
import talib
from typing_extensions import Doc

from core.shapes import IsoDate
from marketdata.domain import DailyBar

TRADING_DAYS_PER_YEAR = 252
SESSIONS_52W = 252
LEVEL_LOOKBACK = 252
LEVEL_PRICE_TOLERANCE = 0.005  # 0.5 % of the last close
LEVEL_ATR_TOLERANCE = 0.25  # x ATR14
MIN_LEVEL_STRENGTH = 2
MAX_LEVELS = 3
MAX_SWINGS = 10

_HIGH = attrgetter("high")
_LOW = attrgetter("low")
_CLOSE = attrgetter("close")
_VOLUME = attrgetter("volume")


def _float_array(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """Return `values` as a contiguous float64 array (no copy when it already is one)."""
    return np.ascontiguousarray(values, dtype=np.float64)


def _last(series: np.ndarray) -> float | None:
    value = float(series[-1])
    return None if math.isnan(value) else value


def sma(closes: np.ndarray, n: int) -> float | None:
    """Return the simple moving average of the last `n` closes (None with fewer than n)."""
    closes = _float_array(closes)
    if n < 1 or closes.shape[0] < n:
        return None
    # The latest SMA needs only the last n closes; TA-Lib sums them in C.
    return _last(talib.SMA(closes[-n:], timeperiod=n)) if n > 1 else float(closes[-1])


def rsi(closes: np.ndarray, n: int = 14) -> float | None:
    """Return Wilder's RSI(n) at the latest bar, by TA-Lib over the whole history given."""
    closes = _float_array(closes)
    if n < 2 or closes.shape[0] <= n:
        return None
    return _last(talib.RSI(closes, timeperiod=n))


def atr(highs: np.ndarray, lows: np.ndarray, closes: np.ndarray, n: int = 14) -> float | None:
    """Return Wilder's ATR(n) at the latest bar, by TA-Lib over the whole history given."""
    closes = _float_array(closes)
    if n < 1 or closes.shape[0] <= n:
        return None
    return _last(talib.ATR(_float_array(highs), _float_array(lows), closes, timeperiod=n))


def historical_volatility(closes: np.ndarray, n: int) -> float | None:
    """Return the annualised sample stdev (ddof=1) of the last `n` log returns."""
    closes = _float_array(closes)
    if n < 2 or closes.shape[0] <= n:
        return None
    window = closes[-(n + 1) :]
    if not (window > 0).all():
        return None
    returns = np.log(window[1:] / window[:-1])
    deviations = returns - float(returns.sum()) / n
    return math.sqrt(float(deviations @ deviations) / (n - 1) * TRADING_DAYS_PER_YEAR)


def swing_points(highs: np.ndarray, lows: np.ndarray, window: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Return the indices of confirmed swing highs and swing lows, ascending.

    A bar is a swing high when its high is strictly greater than each of the `window` highs
    before and after it (a swing low mirrors this on the lows).
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    highs = _float_array(highs)
    lows = _float_array(lows)
    size = highs.shape[0]
    if size < 2 * window + 1:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy()
    # Rolling extremes of the `window` bars ending at each index (TA-Lib, in C): the bars
    # before pivot i end at i - 1, the bars after it end at i + window.
    rolling_max = highs if window == 1 else talib.MAX(highs, timeperiod=window)
    rolling_min = lows if window == 1 else talib.MIN(lows, timeperiod=window)
    centre = slice(window, size - window)
    before = slice(window - 1, size - window - 1)
    after = slice(2 * window, size)
    is_high = (highs[centre] > rolling_max[before]) & (highs[centre] > rolling_max[after])
    is_low = (lows[centre] < rolling_min[before]) & (lows[centre] < rolling_min[after])
    return np.flatnonzero(is_high) + window, np.flatnonzero(is_low) + window


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """A support or resistance level: mean pivot price, touch count, last touching bar index."""

    price: float
    strength: int
    last_touch: int


def cluster_levels(prices: np.ndarray, indices: np.ndarray, tolerance: float) -> list[PriceLevel]:
    """Group pivot prices so each group spans at most `tolerance`; return groups of >= 2.

    Groups are built greedily from the lowest price: a pivot joins the current group while it
    is within `tolerance` of the group's lowest price. Levels come back in ascending price.
    """
    order = np.argsort(prices, kind="stable")
    sorted_prices: list[float] = np.asarray(prices, dtype=np.float64)[order].tolist()
    sorted_indices: list[int] = np.asarray(indices, dtype=np.intp)[order].tolist()
    levels: list[PriceLevel] = []
    start = 0
    # Loops over groups of pivots (a few dozen pivots a year), never over bars.
    while start < len(sorted_prices):
        stop = bisect_right(sorted_prices, sorted_prices[start] + tolerance, lo=start)
        if stop - start >= MIN_LEVEL_STRENGTH:
            members = sorted_prices[start:stop]
            levels.append(
                PriceLevel(
                    price=math.fsum(members) / len(members),
                    strength=len(members),
                    last_touch=max(sorted_indices[start:stop]),
                )
            )
        start = stop
    return levels


def level_tolerance(last_close: float, atr_14: float | None) -> float:
    """Return the clustering tolerance: max(0.5 % of the last close, 0.25 x ATR14)."""
    tolerance = LEVEL_PRICE_TOLERANCE * last_close
    if atr_14 is not None:
        tolerance = max(tolerance, LEVEL_ATR_TOLERANCE * atr_14)
    return tolerance


def support_resistance(
    highs: np.ndarray,
    lows: np.ndarray,
    swing_highs: np.ndarray,
    swing_lows: np.ndarray,
    *,
    last_close: float,
    atr_14: float | None,
    lookback: int = LEVEL_LOOKBACK,
    max_levels: int = MAX_LEVELS,
) -> tuple[list[PriceLevel], list[PriceLevel]]:
    """Return (support, resistance) levels from the pivots of the last `lookback` bars.

    `swing_highs` / `swing_lows` are pivot indices from `swing_points`. Each list holds at
    most `max_levels` levels, nearest to `last_close` first.
    """
    highs = _float_array(highs)
    lows = _float_array(lows)
    first = highs.shape[0] - lookback
    high_idx = swing_highs[swing_highs >= first]
    low_idx = swing_lows[swing_lows >= first]
    prices = np.concatenate((highs[high_idx], lows[low_idx]))
    indices = np.concatenate((high_idx, low_idx))
    levels = cluster_levels(prices, indices, level_tolerance(last_close, atr_14))
    support = sorted((lv for lv in levels if lv.price < last_close), key=lambda lv: last_close - lv.price)
    resistance = sorted((lv for lv in levels if lv.price > last_close), key=lambda lv: lv.price - last_close)
    return support[:max_levels], resistance[:max_levels]


def _extreme_52w(values: np.ndarray, *, highest: bool) -> int | None:
    """Return the index of the 52-week max (or min), the most recent one on a tie."""
    if values.shape[0] < SESSIONS_52W:
        return None
    tail = values[-SESSIONS_52W:][::-1]  # reversed: argmax/argmin pick the latest on ties
    offset = int(np.argmax(tail) if highest else np.argmin(tail))
    return values.shape[0] - 1 - offset


class PricePoint(TypedDict):
    """A swing high or low."""

    date: IsoDate
    price: float


class Level(TypedDict):
    """A support or resistance level, as the API shows it."""

    price: float
    strength: Annotated[int, Doc("Touches of the level (pivots in the cluster).")]
    last_touch: IsoDate


class Indicators(TypedDict):
    """Every indicator of a symbol's bars (what a stock data entry stores and the API shows)."""

    as_of: Annotated[IsoDate | None, Doc("Session of the latest bar.")]
    last_close: float | None
    sma_20: float | None
    sma_50: float | None
    sma_200: float | None
    high_52w: float | None
    high_52w_date: IsoDate | None
    low_52w: float | None
    low_52w_date: IsoDate | None
    rsi_14: float | None
    atr_14: float | None
    hv_20: Annotated[float | None, Doc("Annualised fraction (0.35 = 35 %).")]
    hv_30: Annotated[float | None, Doc("Annualised fraction.")]
    avg_volume_20: float | None
    swing_highs: list[PricePoint]
    swing_lows: list[PricePoint]
    support_levels: list[Level]
    resistance_levels: list[Level]


def _pivots(bars: Sequence[DailyBar], indices: np.ndarray, prices: np.ndarray) -> list[PricePoint]:
    """The latest MAX_SWINGS pivots, newest first."""
    latest = indices[::-1][:MAX_SWINGS].tolist()
    return [{"date": bars[i].session.isoformat(), "price": float(prices[i])} for i in latest]


def _levels(bars: Sequence[DailyBar], found: list[PriceLevel]) -> list[Level]:
    return [
        {"price": lv.price, "strength": lv.strength, "last_touch": bars[lv.last_touch].session.isoformat()}
        for lv in found
    ]


def compute_indicators(bars: Sequence[DailyBar], *, swing_window: int = 5) -> Indicators:
    """Return every indicator for `bars` (ascending sessions) as a JSON-able dict.

    Values are floats or None (too few bars); dates are ISO strings; `swing_highs` /
    `swing_lows` hold the latest 10 pivots newest first; `support_levels` /
    `resistance_levels` the 3 nearest levels, nearest first.
    """
    size = len(bars)
    highs = np.fromiter(map(_HIGH, bars), dtype=np.float64, count=size)
    lows = np.fromiter(map(_LOW, bars), dtype=np.float64, count=size)
    closes = np.fromiter(map(_CLOSE, bars), dtype=np.float64, count=size)

    def iso(index: int | None) -> str | None:
        return None if index is None else bars[index].session.isoformat()

    high_idx = _extreme_52w(highs, highest=True)
    low_idx = _extreme_52w(lows, highest=False)
    atr_14 = atr(highs, lows, closes, 14)
    avg_volume_20 = None
    if size >= 20:
        avg_volume_20 = math.fsum(map(_VOLUME, bars[-20:])) / 20

    swing_high_idx, swing_low_idx = swing_points(highs, lows, swing_window)
    support: list[PriceLevel] = []
    resistance: list[PriceLevel] = []
    if size:
        support, resistance = support_resistance(
            highs, lows, swing_high_idx, swing_low_idx, last_close=float(closes[-1]), atr_14=atr_14
        )

    return {
        "as_of": iso(size - 1) if size else None,
        "last_close": float(closes[-1]) if size else None,
        "sma_20": sma(closes, 20),
        "sma_50": sma(closes, 50),
        "sma_200": sma(closes, 200),
        "high_52w": None if high_idx is None else float(highs[high_idx]),
        "high_52w_date": iso(high_idx),
        "low_52w": None if low_idx is None else float(lows[low_idx]),
        "low_52w_date": iso(low_idx),
        "rsi_14": rsi(closes, 14),
        "atr_14": atr_14,
        "hv_20": historical_volatility(closes, 20),
        "hv_30": historical_volatility(closes, 30),
        "avg_volume_20": avg_volume_20,
        "swing_highs": _pivots(bars, swing_high_idx, highs),
        "swing_lows": _pivots(bars, swing_low_idx, lows),
        "support_levels": _levels(bars, support),
        "resistance_levels": _levels(bars, resistance),
    }
