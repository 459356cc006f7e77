"""The series a price chart draws: candles, volume, moving averages and HV by session (pure).

Pure computation (no Django). Charts read stored sessions; each series is a list of
`{time, value}` points (time an ISO date, as lightweight-charts takes business days), one per
session from the first with a value: a 200-session SMA starts on the 200th session. The last
SMA equals the stock endpoint's `sma_*` over the same bars (the same TA-Lib call).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import talib

from marketdata.domain import DailyBar
from marketdata.indicators import TRADING_DAYS_PER_YEAR

SMA_PERIODS = (20, 50, 200)
HV_PERIOD = 20


class Candle(TypedDict):
    time: str
    open: float
    high: float
    low: float
    close: float


class Point(TypedDict):
    time: str
    value: float


def candles(bars: Sequence[DailyBar]) -> list[Candle]:
    """One candle per session, oldest first."""
    return [
        {
            "time": bar.session.isoformat(),
            "open": bar.open,
            "high": bar.high,
            "low": bar.low,
            "close": bar.close,
        }
        for bar in bars
    ]


def volumes(bars: Sequence[DailyBar]) -> list[Point]:
    """Each session's volume."""
    return [{"time": bar.session.isoformat(), "value": float(bar.volume)} for bar in bars]


def sma_series(bars: Sequence[DailyBar], period: int) -> list[Point]:
    """The `period`-session simple moving average of the closes at each session that has one."""
    closes = np.ascontiguousarray([bar.close for bar in bars], dtype=np.float64)
    if closes.shape[0] < period:
        return []
    values = talib.SMA(closes, timeperiod=period)
    return _points(bars, values)


def hv_series(bars: Sequence[DailyBar], period: int = HV_PERIOD) -> list[Point]:
    """Annualised historical volatility (sample stdev of `period` log returns) at each session."""
    closes = np.ascontiguousarray([bar.close for bar in bars], dtype=np.float64)
    if closes.shape[0] <= period or not (closes > 0).all():
        return []
    returns = np.log(closes[1:] / closes[:-1])
    values = np.full(closes.shape[0], np.nan)
    # Rolling sample stdev: session i uses the returns ending at it (closes i - period .. i).
    windows = np.lib.stride_tricks.sliding_window_view(returns, period)
    values[period:] = windows.std(axis=1, ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR)
    return _points(bars, values)


def _points(bars: Sequence[DailyBar], values: np.ndarray) -> list[Point]:
    return [
        {"time": bar.session.isoformat(), "value": float(value)}
        for bar, value in zip(bars, values, strict=True)
        if not math.isnan(value)
    ]
