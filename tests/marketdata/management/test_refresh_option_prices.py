"""Open positions' option prices: one universal-snapshot call per 250 contracts, per contract without it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from devtools.sandbox import data as sandbox_data
from marketdata import cache, entitlements, occ
from tests.conftest import SANDBOX_TODAY
from tests.factories import PositionFactory, TickerFactory, UserFactory

pytestmark = pytest.mark.django_db

UNIVERSAL = "/v3/snapshot"


def _refresh(*args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("refresh_market_data", "--only", "option_price", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def _listed_contracts(count: int) -> list[tuple[str, str]]:
    """`count` distinct (symbol, option ticker) pairs the sandbox quotes today, over several symbols."""
    contracts: list[tuple[str, str]] = []
    for symbol in ("AAPL", "MSFT", "SPY", "NVDA", "KO"):
        for record in sandbox_data.chain(symbol, SANDBOX_TODAY):
            contracts.append((symbol, record["details"]["ticker"]))
            if len(contracts) == count:
                return contracts
    raise AssertionError("the sandbox's chains list fewer contracts than asked")


def _hold(contracts: list[tuple[str, str]]) -> list:
    owner = UserFactory.create()
    tickers = {symbol: TickerFactory.create(symbol=symbol) for symbol in {symbol for symbol, _ in contracts}}
    return [
        PositionFactory.create(
            owner=owner, option=True, ticker=tickers[symbol], option_ticker=option_ticker, quantity=-1
        )
        for symbol, option_ticker in contracts
    ]


def _unknown_contract() -> str:
    return occ.build("AAPL", sandbox_data.expirations("AAPL", SANDBOX_TODAY)[0], "call", 1234.0)


def test_three_hundred_positions_take_two_universal_snapshot_calls_and_no_contract_call(sandbox) -> None:
    contracts = _listed_contracts(300)
    _hold(contracts)

    output, status = _refresh()

    assert status == 0, output
    assert sandbox.control.count("universal_snapshot") == 2
    assert sandbox.control.count("option_contract") == 0
    assert all(cache.read(cache.option_price_cache_key(ticker)) is not None for _, ticker in contracts)


def test_the_batched_price_is_the_contracts_own_snapshot(sandbox) -> None:
    symbol, ticker = _listed_contracts(1)[0]
    _hold([(symbol, ticker)])
    _refresh()
    batched = cache.read(cache.option_price_cache_key(ticker))

    _refresh("--force")  # now one contract snapshot for comparison
    sandbox.control.entitlement(UNIVERSAL, entitled=False)
    cache.delete_keys([cache.entitlement_key("universal_snapshot"), cache.option_price_cache_key(ticker)])
    _refresh()
    single = cache.read(cache.option_price_cache_key(ticker))

    assert sandbox.control.count("option_contract") == 1
    assert batched is not None and single is not None
    assert batched.value == single.value


def test_an_unknown_contract_is_a_warning_and_its_position_is_valued_at_entry(sandbox) -> None:
    contracts = [*_listed_contracts(4), ("AAPL", _unknown_contract())]
    positions = _hold(contracts)

    output, status = _refresh()

    assert status == 0, output
    assert f"{_unknown_contract()}: WARNING ticker_not_found" in output
    assert f"5 ok, 1 with warnings ({_unknown_contract()})" in output
    assert sandbox.control.count("universal_snapshot") == 1
    api = APIClient()
    api.force_authenticate(positions[-1].owner)
    unknown = api.get(f"/api/v1/positions/{positions[-1].pk}/").json()
    known = api.get(f"/api/v1/positions/{positions[0].pk}/").json()
    valued = (unknown["price_source"], unknown["current_price"], unknown["unrealised_pnl"])
    assert valued == ("entry", 2.5, 0.0)
    assert known["price_source"] in ("mid", "bid", "ask", "close")
    assert sandbox.control.count("option_contract") == 0  # the API read what the refresh stored


def test_without_the_universal_snapshot_the_cycle_prices_each_contract_and_remembers_it(sandbox) -> None:
    contracts = _listed_contracts(6)
    _hold(contracts)
    sandbox.control.entitlement(UNIVERSAL, entitled=False)

    output, status = _refresh()

    assert status == 0, output
    assert f"{contracts[0][1]}: ok option_price=fetched" in output
    assert (sandbox.control.count("universal_snapshot"), sandbox.control.count("option_contract")) == (1, 6)
    assert entitlements.entitlements_lacking() == {UNIVERSAL: "not_authorized"}

    sandbox.control.reset()
    _refresh("--force")

    # The lack is remembered: the next cycle goes per contract without asking the universal snapshot.
    assert (sandbox.control.count("universal_snapshot"), sandbox.control.count("option_contract")) == (0, 6)
