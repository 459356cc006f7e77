"""Run every benchmark (`make bench`), merge their results and print the README table.

Run `python bench/run_all.py [--only NAME ...] [--skip NAME ...]` from the repository root.
Each script runs in a subprocess of its own (its own Redis, sandbox and database) with its
output shown as it comes; each writes bench/results/<name>.json, and this merges them into
bench/results/latest.json and prints a markdown table (script | measured | target | met?).
`--only`/`--skip` update those scripts' entries and keep the others' from the last run. A
missed target is a figure, not a failure; the exit status is 1 only when a script failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
# The order.
SCRIPTS = (
    "api_cached",
    "dashboard",
    "refresh",
    "singleflight",
    "chain_filter",
    "cache_bytes",
    "indicators",
    "upstream_calls",
    "scale",
    "american",
)
TIMEOUT = 15 * 60
LONGER = {"scale": 40 * 60}  # its own budget is 30 minutes


def run(name: str) -> tuple[int, float]:
    """Run one script; return its exit status and how long it took."""
    print(f"\n=== {name} ===", flush=True)
    started = time.monotonic()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        status = subprocess.run(
            [sys.executable, str(BENCH / f"{name}.py")],
            cwd=BENCH.parent,
            env=env,
            timeout=LONGER.get(name, TIMEOUT),
            check=False,
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"{name} took longer than {LONGER.get(name, TIMEOUT)} s and was stopped", flush=True)
        status = -1
    return status, time.monotonic() - started


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        value = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value}{unit}"


def rows_for(name: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows of one script's result file (the others' formats are translated here)."""
    if "summary" in result:
        return [
            {
                "metric": row["metric"],
                "measured": _fmt(row["measured"], row.get("unit", "")),
                "target": row["target"],
                "met": "yes" if row["met"] else "**no**",
            }
            for row in result["summary"]
        ]
    if name == "chain_filter":
        low, high = result["spec_claim_pct"]
        cut = result["reduction"]
        calls = result["calls"]
        return [
            {
                "metric": f"{result['symbol']}: two filtered calls vs whole chain, bytes",
                "measured": (
                    f"{cut['bytes_pct']} % less ({calls['filtered_total']['contracts']:,} of "
                    f"{calls['whole_chain']['contracts']:,} contracts, {cut['contracts_pct']} % fewer)"
                ),
                "target": f"report vs spec's {low:g}–{high:g} % claim",
                "met": "within claim" if low <= cut["bytes_pct"] <= high else "outside claim",
            }
        ]
    if name == "indicators":
        return [
            {
                "metric": "(a) mojo TA-Lib indicators / bare TA-Lib",
                "measured": _fmt(result["wrapper_ratio"], "x"),
                "target": f"<= {result['wrapper_ratio_target']:g}x",
                "met": "yes" if result["wrapper_ratio"] <= result["wrapper_ratio_target"] else "**no**",
            },
            {
                "metric": "(b) full analytics per symbol / (a)",
                "measured": _fmt(result["full_multiple"], "x"),
                "target": f"<= {result['full_multiple_target']:g}x",
                "met": "yes" if result["full_multiple"] <= result["full_multiple_target"] else "**no**",
            },
        ]
    return [{"metric": "(unrecognised result file)", "measured": "n/a", "target": "n/a", "met": "n/a"}]


def table(results: dict[str, Any], statuses: dict[str, int]) -> str:
    """The markdown table for the README's Performance section."""
    lines = ["| script | measured | target | met? |", "|---|---|---|---|"]
    for name in statuses:
        if statuses[name] != 0 or name not in results:
            lines.append(f"| `{name}.py` | failed (exit {statuses[name]}) | | |")
            continue
        for row in rows_for(name, results[name]):
            lines.append(
                f"| `{name}.py` {row['metric']} | {row['measured']} | {row['target']} | {row['met']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=SCRIPTS, help="run only these scripts")
    parser.add_argument("--skip", nargs="*", choices=SCRIPTS, default=[], help="do not run these scripts")
    args = parser.parse_args()
    names = [n for n in (args.only or SCRIPTS) if n not in args.skip]

    statuses: dict[str, int] = {}
    seconds: dict[str, float] = {}
    results: dict[str, Any] = {}
    for name in names:
        path = RESULTS / f"{name}.json"
        before = path.stat().st_mtime if path.exists() else None
        statuses[name], seconds[name] = run(name)
        fresh = path.exists() and path.stat().st_mtime != before
        if statuses[name] == 0 and fresh:
            results[name] = json.loads(path.read_text())
        elif statuses[name] == 0:
            statuses[name] = -2  # finished without writing its results

    latest = RESULTS / "latest.json"
    if len(names) < len(SCRIPTS) and latest.exists():
        # A partial run updates its scripts' entries and keeps the others' from the last run.
        previous = json.loads(latest.read_text())
        kept = [n for n in SCRIPTS if n not in statuses and n in previous.get("results", {})]
        for name in kept:
            results[name] = previous["results"][name]
            statuses[name] = previous["exit_status"].get(name, 0)
            seconds[name] = previous.get("seconds", {}).get(name, 0.0)
        statuses = {name: statuses[name] for name in SCRIPTS if name in statuses}
    merged = {
        "generated_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "exit_status": statuses,
        "seconds": {name: round(value, 1) for name, value in seconds.items()},
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    latest.write_text(json.dumps(merged, indent=2, default=str) + "\n")
    print("\n" + table(results, statuses))
    print(f"\nwrote {latest.relative_to(BENCH.parent)}")
    sys.exit(1 if any(statuses[name] != 0 for name in names) else 0)


if __name__ == "__main__":
    main()
