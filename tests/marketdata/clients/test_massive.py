"""MassiveClient against the sandbox over real HTTP, with scripted faults."""

from __future__ import annotations

import logging
import math
import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests
from prometheus_client import REGISTRY

from core.deadline import Deadline
from devtools.localredis import free_port
from marketdata.clients import get_massive_client
from marketdata.clients.massive import MassiveClient
from marketdata.domain import DailyBar, OptionSnapshot
from marketdata.exceptions import (
    MalformedResponse,
    ProviderAuthError,
    ProviderUnavailable,
    TickerNotFound,
)
from tests.conftest import NEW_YORK, SANDBOX_TODAY

FIVE_YEARS_AGO = date(2021, 11, 24)
AAPL_AGGS = "/v2/aggs/ticker/AAPL/"
AAPL_CHAIN = "/v3/snapshot/options/AAPL"
NEAR_TERM = (SANDBOX_TODAY, SANDBOX_TODAY + timedelta(days=60))


@pytest.fixture
def massive(sandbox) -> MassiveClient:
    return get_massive_client()


def served(sandbox, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every record the sandbox serves at `path` (all pages), fetched without mojo's client."""
    records: list[dict[str, Any]] = []
    url: str | None = sandbox.base_url + path
    while url:
        body = requests.get(url, params=params, headers={"Authorization": "Bearer k"}, timeout=10).json()
        records += body.get("results", [])
        url, params = body.get("next_url"), None
    return records


def expected_bar(row: dict[str, Any]) -> DailyBar:
    return DailyBar(
        session=datetime.fromtimestamp(row["t"] / 1000, tz=NEW_YORK).date(),
        open=row["o"],
        high=row["h"],
        low=row["l"],
        close=row["c"],
        volume=row["v"],
        vwap=row.get("vw"),
        transactions=row.get("n"),
    )


def expected_snapshot(record: dict[str, Any], underlying: str) -> OptionSnapshot:
    details = record["details"]
    quote, day, greeks = record.get("last_quote", {}), record.get("day", {}), record.get("greeks", {})
    return OptionSnapshot(
        option_ticker=details["ticker"],
        underlying=underlying,
        contract_type=details["contract_type"],
        strike=details["strike_price"],
        expiration=date.fromisoformat(details["expiration_date"]),
        shares_per_contract=details["shares_per_contract"],
        bid=quote.get("bid"),
        ask=quote.get("ask"),
        day_close=day.get("close"),
        day_volume=day.get("volume"),
        delta=greeks.get("delta"),
        gamma=greeks.get("gamma"),
        theta=greeks.get("theta"),
        vega=greeks.get("vega"),
        implied_volatility=record.get("implied_volatility"),
        open_interest=record.get("open_interest"),
        underlying_price=record["underlying_asset"]["price"],
    )


def chain_params(gte: date, lte: date) -> dict[str, Any]:
    return {"expiration_date.gte": gte.isoformat(), "expiration_date.lte": lte.isoformat(), "limit": 250}


def malformed_count(endpoint: str) -> float:
    labels = {"provider": "massive", "endpoint": endpoint}
    return REGISTRY.get_sample_value("mojo_malformed_records_total", labels) or 0.0


# --- typed data ----------------------------------------------------------------------------


def test_five_years_of_daily_bars_arrive_typed_in_one_request(massive, sandbox) -> None:
    bars = massive.get_daily_bars("AAPL", FIVE_YEARS_AGO, SANDBOX_TODAY)
    assert sandbox.control.count("aggs") == 1
    rows = served(sandbox, f"{AAPL_AGGS}range/1/day/{FIVE_YEARS_AGO}/{SANDBOX_TODAY}", {"limit": 50000})
    assert bars == [expected_bar(row) for row in rows]


def test_daily_bars_are_oldest_first_on_new_york_session_dates(massive) -> None:
    bars = massive.get_daily_bars("MSFT", date(2026, 11, 16), SANDBOX_TODAY)
    assert [bar.session for bar in bars] == [date(2026, 11, d) for d in (16, 17, 18, 19, 20, 23, 24)]


def test_a_chain_of_1500_plus_contracts_arrives_whole_through_pagination(massive, sandbox) -> None:
    gte, lte = SANDBOX_TODAY, SANDBOX_TODAY + timedelta(days=900)
    chain = massive.get_options_chain_snapshot("SPY", gte, lte)
    pages = sandbox.control.count("options_chain")
    records = served(sandbox, "/v3/snapshot/options/SPY", chain_params(gte, lte))
    assert len(chain) > 1500
    assert pages == math.ceil(len(records) / 250)
    assert chain == [expected_snapshot(record, "SPY") for record in records]


def test_chain_filters_by_contract_type(massive) -> None:
    chain = massive.get_options_chain_snapshot("AAPL", *NEAR_TERM, contract_type="put")
    assert chain and {contract.contract_type for contract in chain} == {"put"}


def test_missing_greeks_stay_none_never_zero(massive, sandbox) -> None:
    gte, lte = SANDBOX_TODAY, SANDBOX_TODAY + timedelta(days=900)
    records = served(sandbox, "/v3/snapshot/options/SPY", chain_params(gte, lte))
    without = {r["details"]["ticker"] for r in records if not r.get("greeks")}
    chain = massive.get_options_chain_snapshot("SPY", gte, lte)
    typed = [c for c in chain if c.option_ticker in without]
    assert typed and all(c.delta is None and c.gamma is None and c.vega is None for c in typed)


def test_an_empty_chain_is_an_empty_list(massive) -> None:
    assert massive.get_options_chain_snapshot("ZZZZ", *NEAR_TERM) == []


def test_a_contract_snapshot_equals_what_the_sandbox_served(massive, sandbox) -> None:
    record = served(sandbox, AAPL_CHAIN, chain_params(*NEAR_TERM))[7]
    option_ticker = record["details"]["ticker"]
    assert massive.get_option_contract_snapshot("AAPL", option_ticker) == expected_snapshot(record, "AAPL")


def test_an_unknown_contract_is_ticker_not_found_after_one_attempt(massive, sandbox) -> None:
    with pytest.raises(TickerNotFound):
        massive.get_option_contract_snapshot("AAPL", "O:AAPL261218C09990000")
    assert sandbox.control.count("option_contract") == 1


def test_an_unknown_symbol_is_ticker_not_found_after_one_attempt(massive, sandbox) -> None:
    with pytest.raises(TickerNotFound):
        massive.get_daily_bars("ZZZZ", FIVE_YEARS_AGO, SANDBOX_TODAY)
    assert sandbox.control.count("aggs") == 1


# --- faults --------------------------------------------------------------------------------


def test_two_server_errors_then_success_succeeds_on_attempt_three(massive, sandbox) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="status", status=500, count=2)
    bars = massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)
    assert bars and sandbox.control.count("aggs") == 3


def test_a_429_retry_after_is_waited_then_the_call_succeeds(massive, sandbox) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="status", status=429, retry_after=1)
    started = time.monotonic()
    bars = massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)
    assert time.monotonic() - started >= 1.0
    assert bars and sandbox.control.count("aggs") == 2


def test_three_hangs_give_provider_unavailable_after_exactly_three_attempts(sandbox, settings) -> None:
    settings.PROVIDER_READ_TIMEOUT = 0.3
    sandbox.control.fault(path=AAPL_AGGS, kind="hang", seconds=1, count=3)
    with pytest.raises(ProviderUnavailable):
        get_massive_client().get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)
    assert sandbox.control.count("aggs") == 3


def test_a_spent_budget_gives_provider_unavailable_within_it(massive, sandbox) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="hang", seconds=3, count=5)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY, deadline=Deadline(2.0))
    assert time.monotonic() - started < 4.0


def test_401_is_provider_auth_error_logged_as_an_error(massive, sandbox, caplog) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="status", status=401)
    with pytest.raises(ProviderAuthError):
        massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)
    assert sandbox.control.count("aggs") == 1
    assert [r.status for r in caplog.records if r.levelno == logging.ERROR] == [401]


def test_invalid_json_is_malformed_response(massive, sandbox) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="invalid_json")
    with pytest.raises(MalformedResponse):
        massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)


def test_malformed_records_are_skipped_named_and_counted(massive, sandbox, caplog) -> None:
    records = served(sandbox, AAPL_CHAIN, chain_params(*NEAR_TERM))
    sandbox.control.malformed("AAPL", 3)
    before = malformed_count("options_chain")
    chain = massive.get_options_chain_snapshot("AAPL", *NEAR_TERM)
    assert chain == [expected_snapshot(record, "AAPL") for record in records[3:]]
    assert malformed_count("options_chain") == before + 3
    skipped = [r.getMessage() for r in caplog.records if "skipped malformed record" in r.getMessage()]
    assert len(skipped) == 3 and records[0]["details"]["ticker"] in skipped[0]


def test_a_chain_whose_records_all_fail_is_malformed_response(massive, sandbox) -> None:
    sandbox.control.malformed("AAPL", 100_000)
    with pytest.raises(MalformedResponse):
        massive.get_options_chain_snapshot("AAPL", *NEAR_TERM)


def test_a_connection_reset_is_retried(massive, sandbox) -> None:
    sandbox.control.fault(path=AAPL_AGGS, kind="reset")
    bars = massive.get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)
    assert bars and sandbox.control.count("aggs") == 2


def test_an_unreachable_provider_is_provider_unavailable(settings) -> None:
    settings.MASSIVE_BASE_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderUnavailable):
        get_massive_client().get_daily_bars("AAPL", date(2026, 11, 1), SANDBOX_TODAY)


def test_one_client_is_reused_per_settings(sandbox, settings) -> None:
    first = get_massive_client()
    assert get_massive_client() is first
    settings.MASSIVE_BASE_URL = f"http://127.0.0.1:{free_port()}"
    assert get_massive_client() is not first
