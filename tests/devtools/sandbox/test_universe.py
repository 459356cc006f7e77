"""A sandbox with generated symbols (`universe=N`): the same ones every run, served like the 57."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import massive
import pytest
import requests

from devtools.sandbox import data
from devtools.sandbox.control import SandboxControl
from devtools.sandbox.server import SandboxServer
from devtools.sandbox.universe import generated_names, universe_of
from marketdata.symbols import normalize_symbol
from tests.conftest import SANDBOX_TODAY
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

ROOT = Path(__file__).resolve().parents[3]
EXTRA = 200
FMP_KEY = {"apikey": "test-fmp-key"}
TIMEOUT = 30


@pytest.fixture(scope="module")
def wide() -> Iterator[SandboxServer]:
    """A sandbox serving the 57 and 200 generated symbols."""
    server = SandboxServer(today=SANDBOX_TODAY, universe=EXTRA).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def wide_client(wide: SandboxServer) -> massive.RESTClient:
    return massive.RESTClient(api_key="test-key", base=wide.base_url, retries=0)


@pytest.fixture(scope="module")
def extra() -> str:
    """A generated company (not a fund), so it has earnings and a chain of a company's size."""
    return next(s for s in universe_of(EXTRA).generated if not universe_of(EXTRA).profiles[s].is_etf)


def _get(server: SandboxServer, path: str, **params: object) -> requests.Response:
    headers = {} if path.startswith("/stable/") else {"Authorization": "Bearer test-key"}
    return requests.get(server.base_url + path, params=params, headers=headers, timeout=TIMEOUT)


# --- which symbols -----------------------------------------------------------------------


def test_by_default_the_sandbox_serves_exactly_the_57(sandbox):
    assert sandbox.control.universe() == list(data.UNIVERSE)


def test_a_universe_of_200_lists_the_57_then_200_new_symbols(wide):
    symbols = wide.control.universe()
    assert len(symbols) == len(set(symbols)) == 57 + EXTRA
    assert symbols[:57] == list(data.UNIVERSE)


def test_two_servers_of_the_same_size_serve_the_same_symbols(wide):
    with SandboxServer(today=SANDBOX_TODAY, universe=EXTRA) as other:
        assert other.control.universe() == wide.control.universe()


def test_the_names_are_the_same_on_every_run_and_machine():
    assert generated_names(5) == ("LHCTS", "CBDKW", "BOECG", "YKYVN", "TPPHQ")


@pytest.mark.slow
def test_the_command_serves_the_universe_it_is_given():
    command = [sys.executable, "manage.py", "marketdata_sandbox", "--port", "0", "--universe", "3"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert SandboxControl(base_url).universe() == [*data.UNIVERSE, *generated_names(3)]
    finally:
        process.kill()
        process.wait()


def test_a_smaller_universe_is_the_start_of_a_larger_one():
    assert universe_of(50).generated == universe_of(EXTRA).generated[:50]


def test_generated_names_are_valid_mojo_symbols_unlike_the_57_and_their_option_roots():
    names = generated_names(5000)
    assert all(re.fullmatch(r"[A-Z]{4,5}", name) and normalize_symbol(name) == name for name in names)
    roots = {profile.option_root for profile in data.UNIVERSE.values()}
    assert not set(names) & (set(data.UNIVERSE) | roots)


def test_generated_profiles_stay_within_the_57s_span_with_a_few_funds():
    profiles = [universe_of(EXTRA).profiles[s] for s in universe_of(EXTRA).generated]
    known = data.UNIVERSE.values()
    assert min(p.price for p in known) <= min(p.price for p in profiles)
    assert max(p.price for p in profiles) <= max(p.price for p in known)
    assert {p.liquidity for p in profiles} == {"liquid", "normal", "illiquid"}
    assert 0 < sum(p.is_etf for p in profiles) < EXTRA // 10


# --- every endpoint answers for them -------------------------------------------------------


def test_an_extra_symbol_has_five_years_of_bars(wide_client, extra):
    bars = wide_client.get_aggs(extra, 1, "day", SANDBOX_TODAY - timedelta(days=6 * 365), SANDBOX_TODAY)
    assert len(bars) > 1200
    assert all(bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high for bar in bars)


def test_an_extra_symbols_years_join_without_a_gap(wide_client, extra):
    bars = wide_client.get_aggs(extra, 1, "day", "2025-12-15", "2026-01-15")
    new_year = next(i for i, bar in enumerate(bars) if data.session_of(bar.timestamp).year == 2026)
    december, january = bars[new_year - 1], bars[new_year]
    assert abs(january.open / december.close - 1) < 0.05  # the new year opens where the old one closed


def test_an_extra_symbols_chain_is_as_large_as_the_57s(wide_client, extra):
    sizes = [len(data.chain_records(symbol, SANDBOX_TODAY)) for symbol in data.UNIVERSE]
    chain = list(wide_client.list_snapshot_options_chain(extra, params={"limit": 250}))
    assert min(sizes) <= len(chain) <= max(sizes)
    assert {c.underlying_asset.ticker for c in chain} == {extra}


def test_generated_chains_are_as_large_as_the_57s_on_the_whole():
    known = sorted(len(data.chain_records(symbol, SANDBOX_TODAY)) for symbol in data.UNIVERSE)
    generated = [len(data.chain_records(s, SANDBOX_TODAY)) for s in universe_of(EXTRA).generated[:30]]
    assert known[len(known) // 4] <= statistics.median(generated) <= known[3 * len(known) // 4]


def test_an_extra_symbols_filtered_chain_is_its_whole_chain_filtered(wide, extra):
    whole = _chain_pages(wide, extra)
    window = {"expiration_date.gte": "2026-12-01", "expiration_date.lt": "2027-03-01"}
    filtered = _chain_pages(wide, extra, **window, contract_type="put", limit=50)
    assert filtered == [
        r
        for r in whole
        if "2026-12-01" <= r["details"]["expiration_date"] < "2027-03-01"
        and r["details"]["contract_type"] == "put"
    ]


def _chain_pages(server: SandboxServer, symbol: str, **params: object) -> list[dict]:
    body = _get(server, f"/v3/snapshot/options/{symbol}", **{"limit": 250, **params}).json()
    results = body["results"]
    while "next_url" in body:
        body = requests.get(body["next_url"], headers={"Authorization": "Bearer k"}, timeout=TIMEOUT).json()
        results += body["results"]
    return results


def test_an_extra_symbols_contract_answers_what_its_chain_does(wide, extra):
    record = data.chain_records(extra, SANDBOX_TODAY)[-1]
    contract = record["details"]["ticker"]
    assert _get(wide, f"/v3/snapshot/options/{extra}/{contract}").json()["results"] == record


def test_an_extra_symbol_has_ticker_details(wide, wide_client, extra):
    body = _get(wide, f"/v3/reference/tickers/{extra}").json()
    assert_wire_shape(body, "ticker_details")
    details = wide_client.get_ticker_details(extra)
    assert (details.ticker, details.type, details.active) == (extra, "CS", True)
    assert details.primary_exchange in ("XNAS", "XNYS")


def test_grouped_daily_holds_every_symbol_the_same_as_aggs(wide, wide_client, extra):
    body = _get(wide, "/v2/aggs/grouped/locale/us/market/stocks/2026-11-23").json()
    assert_wire_shape(body, "grouped_daily")
    rows = {row["T"]: row for row in body["results"]}
    assert list(rows) == wide.control.universe()
    (bar,) = wide_client.get_aggs(extra, 1, "day", "2026-11-23", "2026-11-23")
    assert (rows[extra]["o"], rows[extra]["c"], rows[extra]["v"]) == (bar.open, bar.close, bar.volume)


def test_the_stocks_snapshot_holds_every_symbol(wide, extra):
    body = _get(wide, "/v2/snapshot/locale/us/markets/stocks/tickers").json()
    assert_wire_shape(body, "stocks_snapshot")
    assert [t["ticker"] for t in body["tickers"]] == wide.control.universe()


def test_the_universal_snapshot_answers_an_extra_symbol_and_its_contracts(wide_client, extra):
    contract = data.chain_records(extra, SANDBOX_TODAY)[0]["details"]["ticker"]
    results = list(wide_client.list_universal_snapshots(ticker_any_of=[extra, contract], limit=250))
    expected = sorted([(extra, "stocks", None), (contract, "options", None)])
    assert [(r.ticker, r.type, r.error) for r in results] == expected


def test_the_universal_snapshot_lists_every_stock_without_tickers(wide_client, wide):
    listed = [s.ticker for s in wide_client.list_universal_snapshots(limit=250)]
    assert listed == sorted(wide.control.universe())


def test_the_earnings_calendar_holds_the_extra_companies(wide, extra):
    window = {"from": SANDBOX_TODAY.isoformat(), "to": (SANDBOX_TODAY + timedelta(days=90)).isoformat()}
    rows = _get(wide, "/stable/earnings-calendar", **FMP_KEY, **window).json()
    own = _get(wide, "/stable/earnings", symbol=extra, **FMP_KEY).json()
    assert [r for r in rows if r["symbol"] == extra] == sorted(
        (r for r in own if window["from"] <= r["date"] <= window["to"]), key=lambda r: r["date"]
    )
    assert len({r["symbol"] for r in rows} - set(data.UNIVERSE)) > EXTRA // 2


def test_some_extra_symbols_pay_dividends_and_others_do_not(wide, wide_client):
    upcoming = wide_client.list_dividends(ex_dividend_date_gte=SANDBOX_TODAY - timedelta(days=90), limit=1000)
    payers = {d.ticker for d in upcoming} - set(data.UNIVERSE)
    assert 0 < len(payers) < EXTRA


def test_an_extra_payers_dividends_are_the_same_asked_alone(wide, wide_client):
    market = list(wide_client.list_dividends(ex_dividend_date_gte="2026-01-01", limit=1000))
    payer = next(d.ticker for d in market if d.ticker not in data.UNIVERSE)
    alone = list(wide_client.list_dividends(ticker=payer, ex_dividend_date_gte="2026-01-01", limit=1000))
    assert alone == [d for d in market if d.ticker == payer]
    assert len(alone) >= 4


def test_an_extra_symbol_can_split_today(wide, wide_client, extra):
    before = wide_client.get_aggs(extra, 1, "day", "2026-11-20", "2026-11-20")[0].close
    wide.control.split(extra, 1, 4)
    try:
        after = wide_client.get_aggs(extra, 1, "day", "2026-11-20", "2026-11-20")[0].close
    finally:
        wide.control.reset()
    assert after == pytest.approx(before / 4, abs=0.01)


# --- and nothing changes for the 57 or the default server ------------------------------------


def test_the_57s_bars_are_the_same_in_a_wider_universe(sandbox, wide):
    path = "/v2/aggs/grouped/locale/us/market/stocks/2026-11-23"
    narrow = _get(sandbox, path).json()["results"]
    assert _get(wide, path).json()["results"][:57] == narrow


def test_the_default_server_does_not_serve_generated_symbols(get, client, extra):
    assert universe_of(EXTRA)  # generated and known to this process, yet not served
    assert get(f"/v3/reference/tickers/{extra}").status_code == 404
    assert client.get_aggs(extra, 1, "day", "2026-11-01", SANDBOX_TODAY) == []
    assert get(f"/v3/snapshot/options/{extra}").json()["results"] == []


def test_unknown_symbols_are_still_unknown(wide, wide_client):
    assert _get(wide, "/v3/reference/tickers/ZZZZQ").status_code == 404
    assert wide_client.get_aggs("ZZZZQ", 1, "day", "2026-11-01", SANDBOX_TODAY) == []
