"""`refresh_market_data` and `invalidate_market_data` against the sandbox and the real Redis.

Output and exit codes through `call_command` (CommandError.returncode: 1 = something failed,
2 = bad arguments), and, marked slow, the real CLI: two copies started together do no
duplicate upstream work, and argparse errors exit 2.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.sandbox import data as sandbox_data
from marketdata import cache, clock, services
from marketdata.models import IVSnapshot, RefreshCycle
from tests.conftest import AFTER_CLOSE, SANDBOX_TODAY
from tests.factories import PositionFactory, WatchlistItemFactory

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


class _Terminal(io.StringIO):
    """Captured output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _run(command: str, *args: str, stdout: io.StringIO | None = None) -> tuple[str, int]:
    """Run a command; return (stdout, exit status as the CLI would give it)."""
    out = stdout if stdout is not None else io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def _aggs_calls(sandbox, symbol: str) -> int:
    by_path = sandbox.control.counters()["by_path"]
    return sum(n for path, n in by_path.items() if path.startswith(f"/v2/aggs/ticker/{symbol}/"))


def _open_put(symbol: str) -> str:
    """An option ticker the sandbox quotes: the first put expiring in December."""
    return next(
        details["ticker"]
        for details in (record["details"] for record in sandbox_data.chain(symbol, SANDBOX_TODAY))
        if details["contract_type"] == "put" and details["expiration_date"] == "2026-12-18"
    )


# --- refresh_market_data ---------------------------------------------------------------------------------
def test_refresh_prints_one_line_per_symbol_and_a_summary_and_exits_0(sandbox) -> None:
    output, status = _run("refresh_market_data", "--tickers", "AAPL", "msft")

    lines = output.splitlines()
    assert status == 0
    assert sorted(lines[:2]) == [
        "AAPL: ok stock=fetched options=fetched earnings=fetched",
        "MSFT: ok stock=fetched options=fetched earnings=fetched",
    ]
    calls = sandbox.control.counters()["total"]
    assert lines[2].startswith(f"refreshed 2 ok, 0 failed, 0 skipped; {calls} upstream calls; ")


def test_refresh_shows_a_progress_bar_instead_of_lines_on_a_terminal(sandbox) -> None:
    output, status = _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock", stdout=_Terminal())

    assert status == 0
    assert "refresh: " in output and "1/1" in output  # the bar knows the total
    assert "AAPL: ok" not in output
    assert output.rstrip().splitlines()[-1].startswith("refreshed 1 ok, 0 failed, 0 skipped;")


def test_default_refresh_covers_every_watchlist_and_open_option_position(sandbox) -> None:
    WatchlistItemFactory.create(ticker__symbol="AAPL", owner__username="alice")
    WatchlistItemFactory.create(ticker__symbol="AAPL", owner__username="bob")
    WatchlistItemFactory.create(ticker__symbol="MSFT", owner__username="bob")
    put = _open_put("NVDA")
    PositionFactory.create(option=True, ticker__symbol="NVDA", option_ticker=put)

    output, status = _run("refresh_market_data")

    assert status == 0
    assert sorted(line.split(": ")[0] for line in output.splitlines()[:-1]) == ["AAPL", "MSFT", put]
    assert cache.read(cache.option_price_cache_key(put)) is not None


def test_only_stock_fetches_the_history_and_reference_data_once_and_nothing_else(sandbox) -> None:
    _, status = _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock")

    by_endpoint = sandbox.control.counters()["by_endpoint"]
    assert (status, by_endpoint) == (0, {"aggs": 1, "ticker_details": 1, "dividends": 1})


def test_only_option_price_refreshes_open_positions_contracts_alone(sandbox) -> None:
    put = _open_put("AAPL")
    PositionFactory.create(option=True, ticker__symbol="AAPL", option_ticker=put)
    WatchlistItemFactory.create(ticker__symbol="AAPL")

    output, status = _run("refresh_market_data", "--only", "option_price")

    by_endpoint = sandbox.control.counters()["by_endpoint"]
    assert (status, by_endpoint) == (0, {"universal_snapshot": 1})
    assert f"{put}: ok option_price=fetched" in output


def test_only_the_three_symbol_data_sets_leaves_option_prices_alone(sandbox) -> None:
    put = _open_put("AAPL")
    PositionFactory.create(option=True, ticker__symbol="AAPL", option_ticker=put)

    _run("refresh_market_data", "--only", "stock,options,earnings")

    assert sandbox.control.count("option_contract") == sandbox.control.count("universal_snapshot") == 0


def test_a_second_run_the_same_day_asks_nothing_that_is_still_fresh(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL")
    sandbox.control.reset()

    output, status = _run("refresh_market_data", "--tickers", "AAPL")

    assert (status, sandbox.control.counters()["by_endpoint"]) == (0, {})  # splits: once a day
    assert "AAPL: ok stock=fresh options=fresh earnings=fresh" in output


def test_force_recomputes_stock_data_from_stored_history_without_an_aggs_call(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock")

    output, status = _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock", "--force")

    assert (status, _aggs_calls(sandbox, "AAPL")) == (0, 1)
    assert "AAPL: ok stock=fetched" in output


def test_force_in_session_takes_the_latest_price_from_one_stocks_snapshot(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "MSFT", "--only", "stock")
    sandbox.control.reset()
    in_session = AFTER_CLOSE + timedelta(days=1, hours=-5)  # Wednesday 11:30, a session behind
    sandbox.control.pin_now(in_session)

    with clock.pinned(in_session):
        output, status = _run(
            "refresh_market_data", "--tickers", "AAPL", "MSFT", "--only", "stock", "--force"
        )

    assert (status, sandbox.control.counters()["by_endpoint"]) == (0, {"splits": 1, "stocks_snapshot": 1})
    price = cache.read(cache.stock_cache_key("AAPL")).value["price"]
    partial = sandbox_data.daily_bars("AAPL", in_session.date(), in_session)[-1]["c"]
    assert "AAPL: ok stock=fetched" in output and price == pytest.approx(partial, abs=0.005)


def test_refresh_records_todays_iv_snapshot(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "SPY", "--only", "options")

    snapshot = IVSnapshot.objects.get(ticker="SPY")
    assert (snapshot.session_date, snapshot.is_demo, snapshot.atm_iv > 0) == (date(2026, 11, 24), False, True)


def test_refresh_writes_the_last_refresh_time(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock")

    assert services.last_refresh_get() == AFTER_CLOSE.astimezone(UTC).isoformat()


def test_a_symbol_the_provider_cannot_serve_fails_the_run_with_exit_1(sandbox) -> None:
    sandbox.control.down()

    output, status = _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock")

    assert status == 1
    assert "AAPL: FAILED provider_unavailable" in output
    assert "0 ok, 1 failed" in output


def test_a_stale_answer_counts_as_failed(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock")
    sandbox.control.down()

    with clock.pinned(AFTER_CLOSE + timedelta(days=1)):  # the next session must be fetched
        output, status = _run("refresh_market_data", "--tickers", "AAPL", "--only", "stock", "--force")

    assert (status, "AAPL: FAILED stock=stale" in output) == (1, True)


def test_one_failing_symbol_fails_the_run_but_the_others_are_refreshed(sandbox) -> None:
    sandbox.control.fault(path="/v2/aggs/ticker/MSFT/", kind="status", status=404)

    output, status = _run("refresh_market_data", "--tickers", "AAPL", "MSFT", "--only", "stock")

    assert status == 1
    assert "AAPL: ok stock=fetched" in output and "MSFT: FAILED ticker_not_found" in output


def test_an_inline_run_is_recorded_as_an_inline_cycle_once_it_has_ended(sandbox) -> None:
    sandbox.control.fault(path="/v2/aggs/ticker/MSFT/", kind="status", status=404)

    _run("refresh_market_data", "--tickers", "AAPL", "MSFT")

    cycle = RefreshCycle.objects.get()
    assert (cycle.mode, cycle.status, cycle.symbols) == ("inline", "failed", ["AAPL", "MSFT"])
    assert (cycle.symbols_ok, cycle.symbols_failed, cycle.failures) == (1, 1, {"MSFT": "ticker_not_found"})
    assert cycle.started_at is not None and cycle.finished_at is not None
    assert sum(cycle.upstream_calls.values()) == sandbox.control.counters()["total"]
    assert sum(cycle.signal_counts.values()) > 0  # AAPL's chain was fetched and counted


def test_a_symbol_another_copy_is_refreshing_is_skipped_not_failed(sandbox) -> None:
    held = services.symbol_refresh_lock("AAPL")
    try:
        output, status = _run("refresh_market_data", "--tickers", "AAPL")
    finally:
        held.release()

    assert (status, sandbox.control.counters()["total"]) == (0, 0)
    assert "AAPL: skipped" in output and "0 ok, 0 failed, 1 skipped" in output


@pytest.mark.parametrize(
    "args",
    [
        ("--only", "bogus"),
        ("--only", "stock,quotes"),
        ("--only", ","),
        ("--concurrency", "0"),
        ("--concurrency", "33"),
        ("--tickers", "AAPL1"),
    ],
)
def test_bad_arguments_exit_2_without_calling_the_provider(sandbox, args) -> None:
    _, status = _run("refresh_market_data", *args)

    assert (status, sandbox.control.counters()["total"]) == (2, 0)


# --- invalidate_market_data ------------------------------------------------------------------------------
def _keys_of(symbol: str) -> list[str]:
    """Every stored key of a symbol: its data sets and its contracts' prices."""
    return [
        *cache.keys_matching(f"{cache.KEY_PREFIX}*:{symbol}"),
        *cache.keys_matching(cache.option_price_key_pattern(symbol)),
    ]


def test_invalidate_deletes_one_symbols_keys_and_prints_how_many(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "MSFT", "--only", "stock,earnings")
    services.option_price_get("AAPL", _open_put("AAPL"))
    stored = _keys_of("AAPL")

    output, status = _run("invalidate_market_data", "AAPL")

    assert (status, output) == (0, f"deleted {len(stored)} key(s)\n")
    assert (_keys_of("AAPL"), len(_keys_of("MSFT")) > 0) == ([], True)


def test_invalidate_all_deletes_every_market_data_key_and_the_last_refresh(sandbox) -> None:
    _run("refresh_market_data", "--tickers", "AAPL", "MSFT", "--only", "stock")
    stored = cache.keys_matching(f"{cache.KEY_PREFIX}*")

    output, status = _run("invalidate_market_data", "--all")

    assert (status, output) == (0, f"deleted {len(stored) + 1} key(s)\n")
    assert (cache.keys_matching(f"{cache.KEY_PREFIX}*"), services.last_refresh_get()) == ([], None)


@pytest.mark.parametrize("args", [(), ("AAPL", "--all"), ("AAPL1",)])
def test_invalidate_with_bad_arguments_exits_2(args) -> None:
    assert _run("invalidate_market_data", *args)[1] == 2


# --- The real command line -------------------------------------------------------------------------------
def _cli_env(sandbox, redis_server, database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mojo.settings.test",
        "REDIS_URL": redis_server.url,
        "MASSIVE_BASE_URL": sandbox.base_url,
        "FMP_BASE_URL": sandbox.base_url,
        "MOJO_FROZEN_NOW": AFTER_CLOSE.isoformat(),
        "DATABASE_URL": f"sqlite:///{database}",
    }


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the copies use their own file database
def test_two_copies_started_together_fetch_each_symbols_bars_once(sandbox, redis_server, tmp_path) -> None:
    env = _cli_env(sandbox, redis_server, tmp_path / "db.sqlite3")
    subprocess.run(_manage("migrate", "--no-input"), env=env, cwd=ROOT, check=True, capture_output=True)
    sandbox.control.latency(0.2)  # long enough for the copies to overlap
    command = _manage("refresh_market_data", "--tickers", "AAPL", "MSFT", "NVDA", "--concurrency", "2")

    copies = [
        subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [copy.communicate(timeout=90)[0] for copy in copies]

    assert [copy.returncode for copy in copies] == [0, 0], outputs
    symbols = ("AAPL", "MSFT", "NVDA")
    assert {symbol: _aggs_calls(sandbox, symbol) for symbol in symbols} == dict.fromkeys(symbols, 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("args", [("--only", "bogus"), ("--concurrency", "many")])
def test_bad_arguments_exit_2_from_the_command_line(sandbox, redis_server, tmp_path, args) -> None:
    env = _cli_env(sandbox, redis_server, tmp_path / "db.sqlite3")

    finished = subprocess.run(
        _manage("refresh_market_data", *args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode == 2, finished.stderr
    assert sandbox.control.counters()["total"] == 0
