"""The sandbox's mutable state: scripted faults, latency, down, malformed symbols, live splits,
entitlements, ticker-details overrides, the earnings calendar's cap, the counters and the request log.

One lock guards it all, so request threads and the control API can race safely. Faults are
deterministic: a queue consumed in order by the provider requests whose path matches.

The request log keeps the last `REQUEST_LOG_SIZE` provider requests answered, each with its
arrival and answer times on the wall clock (`time.time()`): processes other than the sandbox's
(workers, a test) compare their own moments with them, and a monotonic clock is per process.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

from devtools.sandbox.splits import Split
from devtools.sandbox.wire import FMP_CALENDAR_CAP, is_fmp

FaultKind = Literal["status", "hang", "invalid_json", "reset"]
FAULT_KINDS: tuple[str, ...] = ("status", "hang", "invalid_json", "reset")

# The most requests the log keeps, the oldest answered dropped first: a few 500-symbol cycles.
REQUEST_LOG_SIZE = 50_000

# Endpoint names the counters report, by path shape.
_ENDPOINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aggs", re.compile(r"^/v2/aggs/ticker/")),
    ("universal_snapshot", re.compile(r"^/v3/snapshot/?$")),
    ("dividends", re.compile(r"^/v3/reference/dividends/?$")),
    ("grouped_daily", re.compile(r"^/v2/aggs/grouped/")),
    ("stocks_snapshot", re.compile(r"^/v2/snapshot/locale/us/markets/stocks/tickers/?$")),
    ("splits", re.compile(r"^/v3/reference/splits/?$")),
    ("ticker_details", re.compile(r"^/v3/reference/tickers/[^/]+/?$")),
    ("option_contract", re.compile(r"^/v3/snapshot/options/[^/]+/[^/]+/?$")),
    ("options_chain", re.compile(r"^/v3/snapshot/options/[^/]+/?$")),
    ("fmp_earnings", re.compile(r"^/stable/earnings/?$")),
    ("fmp_earnings_calendar", re.compile(r"^/stable/earnings-calendar/?$")),
    ("fmp_legacy", re.compile(r"^/api/v3/historical/earning_calendar/")),
)


def endpoint_of(path: str) -> str:
    """Name the provider endpoint a path belongs to ("other" for paths no provider serves)."""
    return next((name for name, pattern in _ENDPOINTS if pattern.match(path)), "other")


def covers(switch: str, path: str) -> bool:
    """Whether a switch set on `switch` reaches a request for `path`.

    A whole endpoint path (`/v3/snapshot`, `/stable/earnings`, `/v3/reference/tickers/AAPL`)
    means exactly that path: plans lack the universal snapshot but keep the contract snapshots
    under it, and `/stable/earnings` must not reach `/stable/earnings-calendar`. Any other path
    (`/v3/reference/tickers/`, `/stable/`) is a prefix: everything under it.
    """
    if endpoint_of(switch) != "other":
        return path.rstrip("/") == switch.rstrip("/")
    return path.startswith(switch)


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted fault for the requests whose path starts with `path`.

    The first `after` of them pass untouched, then the next `count` get the fault.
    """

    path: str
    kind: FaultKind
    count: int = 1
    status: int | None = None
    retry_after: float | None = None
    seconds: float | None = None
    after: int = 0

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Fault:
        """Validate a control-API payload; raise ValueError with the reason."""
        path = payload.get("path")
        kind = payload.get("kind")
        count = payload.get("count", 1)
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("path must be a URL path starting with '/'")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a positive integer")
        after = payload.get("after") or 0
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError("after must be an integer >= 0")
        status = payload.get("status")
        retry_after = payload.get("retry_after")
        seconds = payload.get("seconds")
        if kind == "status" and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError("a status fault needs a status between 400 and 599")
        if kind == "hang" and not (isinstance(seconds, int | float) and seconds > 0):
            raise ValueError("a hang fault needs seconds > 0")
        if retry_after is not None and not (isinstance(retry_after, int | float) and retry_after >= 0):
            raise ValueError("retry_after must be a number of seconds >= 0")
        return cls(
            path=path,
            kind=kind,
            count=count,
            status=status,
            retry_after=float(retry_after) if retry_after is not None else None,
            seconds=float(seconds) if seconds is not None else None,
            after=after,
        )


@dataclass(frozen=True, slots=True)
class Arrival:
    """A provider request as it arrived: when (wall clock), and after how many resets."""

    at: float
    resets: int


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One provider request in the log: when it arrived and when its answer was ready (both
    `time.time()`), what it asked for (the endpoint as the counters name it) and the status
    answered (0: the connection was reset, no answer)."""

    arrived: float
    answered: float
    method: str
    path: str
    endpoint: str
    status: int

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LoggedRequest:
        """The record the control API served as JSON."""
        return cls(**{field.name: raw[field.name] for field in fields(cls)})


class SandboxState:
    """Faults, switches and counters shared by the request threads (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._latency = 0.0
        self._down = False
        self._malformed: dict[str, int] = {}
        self._legacy_fmp = False
        self._now: datetime | None = None
        self._splits: list[Split] = []
        self._entitlements: dict[str, int] = {}
        self._details: dict[str, dict[str, Any]] = {}
        self._calendar_cap = FMP_CALENDAR_CAP
        self._total = 0
        self._by_endpoint: Counter[str] = Counter()
        self._by_path: Counter[str] = Counter()
        self._log: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._resets = 0

    def reset(self) -> None:
        """Clear faults, latency, down, malformed symbols, the legacy flag, the pinned moment,
        live splits, entitlements, ticker-details overrides, the calendar's cap, the counters and
        the request log (requests in flight are left out of it too)."""
        with self._lock:
            self._faults.clear()
            self._latency = 0.0
            self._down = False
            self._malformed.clear()
            self._legacy_fmp = False
            self._now = None
            self._splits.clear()
            self._entitlements.clear()
            self._details.clear()
            self._calendar_cap = FMP_CALENDAR_CAP
            self._total = 0
            self._by_endpoint.clear()
            self._by_path.clear()
            self._log.clear()
            self._resets += 1

    def count(self, path: str) -> Arrival:
        """Count one provider request that arrived; return its arrival, for `log` once answered."""
        with self._lock:
            self._total += 1
            self._by_endpoint[endpoint_of(path)] += 1
            self._by_path[path] += 1
            return Arrival(time.time(), self._resets)

    def log(self, arrival: Arrival, *, method: str, path: str, status: int) -> None:
        """Log a request whose answer is ready now, unless a reset came after it arrived."""
        with self._lock:
            if arrival.resets == self._resets:
                self._log.append(
                    LoggedRequest(arrival.at, time.time(), method, path, endpoint_of(path), status)
                )

    def requests(self) -> list[LoggedRequest]:
        """The logged requests in order of arrival (requests still in flight are not logged yet)."""
        with self._lock:
            logged = list(self._log)
        return sorted(logged, key=lambda request: request.arrived)

    def counters(self) -> dict[str, Any]:
        """A snapshot of the counters."""
        with self._lock:
            return {
                "total": self._total,
                "by_endpoint": dict(self._by_endpoint),
                "by_path": dict(self._by_path),
            }

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault behind the ones already queued."""
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first queued fault matching `path`, if any.

        While that fault still lets requests through (`after`), this one passes untouched.
        """
        with self._lock:
            for position, fault in enumerate(self._faults):
                if path.startswith(fault.path):
                    if fault.after > 0:
                        self._faults[position] = replace(fault, after=fault.after - 1)
                        return None
                    if fault.count > 1:
                        self._faults[position] = replace(fault, count=fault.count - 1)
                    else:
                        del self._faults[position]
                    return fault
        return None

    @property
    def latency(self) -> float:
        """Seconds added to every provider request."""
        with self._lock:
            return self._latency

    def set_latency(self, seconds: float) -> None:
        """Add `seconds` of delay to every provider request (0 removes it)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0 seconds")
        with self._lock:
            self._latency = seconds

    @property
    def down(self) -> bool:
        """True while every provider request answers 503."""
        with self._lock:
            return self._down

    def set_down(self, down: bool) -> None:
        """Take the providers down (True) or bring them back up (False)."""
        with self._lock:
            self._down = down

    def malformed_count(self, symbol: str) -> int:
        """How many leading records of the symbol's chain streams are malformed."""
        with self._lock:
            return self._malformed.get(symbol, 0)

    def set_malformed(self, symbol: str, count: int) -> None:
        """Make the first `count` records of each of the symbol's chain streams malformed."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            if count:
                self._malformed[symbol] = count
            else:
                self._malformed.pop(symbol, None)

    @property
    def legacy_fmp(self) -> bool:
        """True when FMP's legacy endpoint answers data instead of its 403."""
        with self._lock:
            return self._legacy_fmp

    def set_legacy_fmp(self, enabled: bool) -> None:
        """Let FMP's legacy endpoint answer data (True) or its 403 (False)."""
        with self._lock:
            self._legacy_fmp = enabled

    @property
    def now(self) -> datetime | None:
        """The moment the providers answer as of, when a test pinned one."""
        with self._lock:
            return self._now

    def set_now(self, now: datetime | None) -> None:
        """Answer as of `now` (aware), its New York date being today; None unpins it."""
        if now is not None and now.tzinfo is None:
            raise ValueError("now must carry a timezone")
        with self._lock:
            self._now = now

    @property
    def splits(self) -> tuple[Split, ...]:
        """The live splits made so far, in order."""
        with self._lock:
            return tuple(self._splits)

    def add_split(self, split: Split) -> None:
        """Make `split` happen (it must be live: the walk is the level before it)."""
        if not split.live:
            raise ValueError("only live splits can be added")
        if not (split.split_from > 0 and split.split_to > 0):
            raise ValueError("split_from and split_to must be positive")
        with self._lock:
            self._splits.append(split)

    def not_entitled(self, path: str) -> int | None:
        """The status a request for `path` is refused with while its entitlement is off, else None."""
        with self._lock:
            return next((s for switch, s in self._entitlements.items() if covers(switch, path)), None)

    def set_entitlement(self, path: str, entitled: bool, status: int = 403) -> None:
        """Refuse the requests `path` covers (see `covers`) with `status`, or let them through again.

        Massive answers 403 only; FMP 402 or 403, depending on the plan.
        """
        if not path.startswith("/"):
            raise ValueError("path must be a URL path starting with '/'")
        if status not in ((402, 403) if is_fmp(path) else (403,)):
            raise ValueError("the status must be 403 (or 402 for FMP's paths)")
        with self._lock:
            if entitled:
                self._entitlements.pop(path, None)
            else:
                self._entitlements[path] = status

    def details_overrides(self) -> dict[str, dict[str, Any]]:
        """The ticker-details fields overridden so far, by symbol (a copy)."""
        with self._lock:
            return {symbol: dict(fields) for symbol, fields in self._details.items()}

    def override_details(self, symbol: str, fields: dict[str, Any]) -> None:
        """Answer `fields` in the symbol's ticker details (merged over earlier overrides; None drops one)."""
        with self._lock:
            self._details.setdefault(symbol, {}).update(fields)

    @property
    def calendar_cap(self) -> int:
        """The most rows FMP's earnings calendar answers."""
        with self._lock:
            return self._calendar_cap

    def set_calendar_cap(self, rows: int) -> None:
        """Cut the earnings calendar's answers to `rows` rows (FMP's own cap is 3000)."""
        if rows < 1:
            raise ValueError("rows must be >= 1")
        with self._lock:
            self._calendar_cap = rows
