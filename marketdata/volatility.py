"""IV rank and IV percentile of today's ATM IV against the stored daily history (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

IV_HISTORY_SESSIONS = 252


@dataclass(frozen=True, slots=True)
class IVStats:
    """IV rank and percentile (percent numbers) over stored daily ATM IVs, or why they are null."""

    iv_rank: float | None
    iv_percentile: float | None
    observations: int
    reason: str | None


def iv_stats(
    history: Sequence[float | None], current: float | None, *, min_observations: int = 20
) -> IVStats:
    """Return IV rank and IV percentile of `current` against `history`.

    `history` is one ATM IV per session, oldest first (today's included once stored); only
    the last 252 are used and missing values are skipped. iv_rank = 100 x (IV - min) /
    (max - min), with min and max taken over the history and the current IV;
    iv_percentile = 100 x (sessions with IV below the current) / sessions. With fewer than
    `min_observations` sessions, or no current IV, both are None with a reason; a flat
    history (max == min) leaves the rank None. Never a made-up 50.
    """
    values = [float(v) for v in history[-IV_HISTORY_SESSIONS:] if v is not None and math.isfinite(v)]
    observations = len(values)
    if current is None or not math.isfinite(current):
        return IVStats(None, None, observations, "no current ATM IV")
    if observations < min_observations:
        reason = f"{observations} of {min_observations} sessions of ATM IV history needed"
        return IVStats(None, None, observations, reason)
    percentile = 100.0 * sum(1 for v in values if v < current) / observations
    low, high = min(*values, current), max(*values, current)
    if high == low:
        return IVStats(None, percentile, observations, "ATM IV has not moved over the history (max == min)")
    return IVStats(100.0 * (current - low) / (high - low), percentile, observations, None)
