"""A client for the sandbox's control API (`/__sandbox/…`): faults, latency, down/up, clock, splits,
entitlements, ticker-details overrides, the earnings calendar's cap, counters, the request log,
the symbols served.

Tests and benchmarks script the provider's behaviour through it over HTTP, so they work the
same against an in-process sandbox and one started with `manage.py marketdata_sandbox`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import requests

from devtools.sandbox.state import LoggedRequest

TIMEOUT = (5.0, 30.0)  # connect, read


class SandboxControl:
    """Script the sandbox at `base_url` (no trailing slash)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _post(self, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(f"{self.base_url}/__sandbox/{action}", json=payload or {}, timeout=TIMEOUT)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def reset(self) -> None:
        """Clear faults, latency, down, malformed symbols, the legacy flag, the pinned moment,
        live splits, entitlements, ticker-details overrides, the calendar's cap, the counters and
        the request log."""
        self._post("reset")

    def fault(
        self,
        *,
        path: str,
        kind: str,
        count: int = 1,
        status: int | None = None,
        retry_after: float | None = None,
        seconds: float | None = None,
        after: int = 0,
    ) -> None:
        """Give the next `count` requests whose path starts with `path` a fault.

        kind: "status" (answer `status`, with Retry-After for a 429 when `retry_after` is given),
        "hang" (answer normally after `seconds`), "invalid_json" (200, body not JSON) or
        "reset" (drop the connection with a TCP RST). With `after`, that many matching
        requests pass untouched first. Faults queue and are used in order.
        """
        self._post(
            "faults",
            {
                "path": path,
                "kind": kind,
                "count": count,
                "status": status,
                "retry_after": retry_after,
                "seconds": seconds,
                "after": after,
            },
        )

    def latency(self, seconds: float) -> None:
        """Delay every provider request by `seconds` (0 removes the delay)."""
        self._post("latency", {"seconds": seconds})

    def down(self) -> None:
        """Answer every provider request 503 until `up()`."""
        self._post("down")

    def up(self) -> None:
        """Bring the providers back."""
        self._post("up")

    def malformed(self, symbol: str, count: int) -> None:
        """Make the first `count` records of each of the symbol's chain streams malformed."""
        self._post("malformed", {"symbol": symbol, "count": count})

    def legacy_fmp(self, enabled: bool) -> None:
        """Let FMP's legacy endpoint answer data (True) or its 403 "Legacy Endpoint" (False)."""
        self._post("legacy_fmp", {"enabled": enabled})

    def pin_now(self, now: datetime | None) -> None:
        """Answer as of `now` (aware): bars, the partial bar and chain prices of that moment.

        None goes back to the server's own clock (its pinned today, or the wall clock).
        """
        self._post("clock", {"now": now.isoformat() if now is not None else None})

    def split(self, symbol: str, split_from: float, split_to: float) -> date:
        """Make `symbol` split today (`split_to` new shares for `split_from` old); return the date.

        From then on the splits endpoint lists it, and the symbol's adjusted prices (aggs,
        grouped daily, the snapshot, chains, earnings per share) are on the post-split level
        for the whole history; `adjusted=false` shows the raw jump. `reset()` undoes it.
        """
        answer = self._post("split", {"symbol": symbol, "split_from": split_from, "split_to": split_to})
        return date.fromisoformat(answer["execution_date"])

    def entitlement(self, path: str, entitled: bool, status: int = 403) -> None:
        """Switch the plan's entitlement to `path` off (False) or back on (True).

        While off, the requests it covers answer the provider's "not entitled" error after the key
        check (a missing key is still a 401): Massive's 403 `NOT_AUTHORIZED` "You are not entitled
        to this data…", FMP's `status` (402 or 403) "Restricted Endpoint…". A whole endpoint path
        (`/v3/snapshot`, `/stable/earnings-calendar`) covers exactly that path, not the contract
        snapshots under `/v3/snapshot/options/…`; a partial one (`/v3/reference/`, `/stable/`)
        covers every path starting with it. `reset()` restores every entitlement.
        """
        self._post("entitlement", {"path": path, "entitled": entitled, "status": status})

    def ticker_details(self, symbol: str, **overrides: Any) -> None:
        """Answer `overrides` in a universe symbol's ticker details, e.g. `type="FUND"`,
        `active=False, delisted_utc="2026-11-20T00:00:00Z"` (None leaves a field out).

        Calls merge; `reset()` restores the generated details.
        """
        self._post("ticker_details", {"symbol": symbol, "overrides": overrides})

    def calendar_cap(self, rows: int) -> None:
        """Cut FMP's earnings-calendar answers to their first `rows` rows (FMP's cap: 3000, what
        `reset()` restores), so a caller's window splitting can be seen with few reports."""
        self._post("calendar_cap", {"rows": rows})

    def counters(self) -> dict[str, Any]:
        """Return {"total": n, "by_endpoint": {name: n}, "by_path": {path: n}}."""
        response = requests.get(f"{self.base_url}/__sandbox/counters", timeout=TIMEOUT)
        response.raise_for_status()
        counters: dict[str, Any] = response.json()
        return counters

    def requests(self) -> list[LoggedRequest]:
        """Every provider request answered since the last reset, in order of arrival.

        Each has its arrival and answer times (`time.time()`, comparable with other processes'
        wall clocks on this host), method, path, endpoint (as `count` names them) and status.
        A request still in flight is not in it yet; past `state.REQUEST_LOG_SIZE` the oldest answered
        go first (`counters()["total"]` counts them all).
        """
        response = requests.get(f"{self.base_url}/__sandbox/requests", timeout=TIMEOUT)
        response.raise_for_status()
        return [LoggedRequest.from_json(raw) for raw in response.json()["requests"]]

    def universe(self) -> list[str]:
        """Every symbol the sandbox serves: the 57, then the generated ones (`--universe N`)."""
        response = requests.get(f"{self.base_url}/__sandbox/universe", timeout=TIMEOUT)
        response.raise_for_status()
        return [str(symbol) for symbol in response.json()["symbols"]]

    def count(self, endpoint: str) -> int:
        """Requests counted for one endpoint (aggs, grouped_daily, stocks_snapshot,
        universal_snapshot, splits, dividends, ticker_details, options_chain, option_contract,
        fmp_earnings, fmp_earnings_calendar, fmp_legacy)."""
        return int(self.counters()["by_endpoint"].get(endpoint, 0))
