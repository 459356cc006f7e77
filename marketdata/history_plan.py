"""Which provider calls bring stored daily history up to date, at the fewest calls (pure).

A symbol with no stored history is fetched once, in full (per-symbol aggs of >= 730 calendar
days at the provider's maximum `limit`). A symbol behind by some completed sessions needs only
those. Two ways to get them: grouped daily (one call per missing session, every symbol of the
market at once) or per-symbol aggs of just the missing range (one call per symbol behind).
The rule: grouped daily when it takes fewer calls, that is when fewer sessions are missing
than symbols are behind; otherwise (a tie too) per-symbol ranges, which fetch only what is
needed. Only completed sessions are ever asked for.

A symbol may have no bar on a session (an illiquid one that did not trade). Once the provider
was asked, the session counts as checked, so it is not asked again every cycle; but only a
settled session: right after the close the provider may not have published today's bars
yet, so a session counts as settled once the next calendar day has begun in New York.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

# The history kept and computed over: >= 400 sessions, so SMA 200 and 52-week figures exist.
HISTORY_CALENDAR_DAYS = 730


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """The calls to make: full histories, grouped-daily sessions, per-symbol missing ranges."""

    full: tuple[str, ...] = ()
    grouped: tuple[date, ...] = ()
    ranges: dict[str, tuple[date, date]] = field(default_factory=dict)
    # Who needs the grouped sessions (their rows are the only ones stored from those calls).
    grouped_for: tuple[str, ...] = ()

    @property
    def calls(self) -> int:
        """Provider calls the plan makes (one per full history, session and range)."""
        return len(self.full) + len(self.grouped) + len(self.ranges)


def plan_history(stored_through: Mapping[str, date | None], *, completed: Sequence[date]) -> HistoryPlan:
    """Plan the calls for symbols stored through a session (None: nothing stored yet).

    `completed` is every completed session up to the latest, ascending; sessions after the
    latest completed one (today's, while it runs) are never planned.
    """
    if not completed:
        return HistoryPlan()
    latest = completed[-1]
    full = tuple(symbol for symbol, through in stored_through.items() if through is None)
    missing = {
        symbol: [session for session in completed if through < session]
        for symbol, through in stored_through.items()
        if through is not None and through < latest
    }
    missing = {symbol: sessions for symbol, sessions in missing.items() if sessions}
    sessions = sorted({session for needed in missing.values() for session in needed})
    if len(sessions) < len(missing):
        return HistoryPlan(full=full, grouped=tuple(sessions), grouped_for=tuple(sorted(missing)))
    return HistoryPlan(
        full=full, ranges={symbol: (needed[0], needed[-1]) for symbol, needed in missing.items()}
    )


def settled_session(completed: Sequence[date], *, today: date) -> date | None:
    """The latest completed session before `today`: its bars are surely published by now."""
    earlier = [session for session in completed if session < today]
    return earlier[-1] if earlier else None


def checked_after(
    previous: date | None, last_bar: date | None, *, asked: date, settled: date | None
) -> date | None:
    """How far a symbol counts as checked once the provider answered for sessions up to `asked`.

    Through its last bar at least; through `asked` when that session is settled (no bar then
    means no trade), else through the settled sessions only (today's bar may still come).
    None when there is nothing to count.
    """
    reached = [day for day in (previous, last_bar) if day is not None]
    if settled is not None:
        reached.append(min(asked, settled))
    return max(reached, default=None)
