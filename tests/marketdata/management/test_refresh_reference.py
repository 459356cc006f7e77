"""`refresh_market_data` and reference data: details for symbols without them, dividends at most daily.

Over real HTTP to the sandbox, with real Redis and the test database. A later moment moves
both clocks: the sandbox's (`pin_now`) and mojo's (`clock.pinned`).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from marketdata import cache, clock
from marketdata.models import DividendCheck, SymbolDetails
from tests.conftest import NEW_YORK, SANDBOX_TODAY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WEDNESDAY_IN_SESSION = datetime(2026, 11, 25, 11, 0, tzinfo=NEW_YORK)
WEDNESDAY_AFTER_CLOSE = datetime(2026, 11, 25, 16, 30, tzinfo=NEW_YORK)
DIVIDENDS_PATH = "/v3/reference/dividends"
TICKERS_PATH = "/v3/reference/tickers/"
# More symbols than a market-wide answer takes pages: their dividends come in one call.
PAYERS_AND_NOT = ("AAPL", "KO", "SPY", "TSLA")


def _refresh(*symbols: str, extra: tuple[str, ...] = ()) -> tuple[str, int]:
    """Refresh the symbols' stock data; return (stdout, exit status as the CLI would give it)."""
    out = io.StringIO()
    try:
        call_command(
            "refresh_market_data",
            "--tickers",
            *symbols,
            "--only",
            "stock",
            *extra,
            stdout=out,
            stderr=io.StringIO(),
        )
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def _stock(symbol: str) -> dict[str, Any]:
    entry = cache.read(cache.stock_cache_key(symbol))
    assert entry is not None
    value: dict[str, Any] = entry.value
    return value


def _at(sandbox, moment: datetime) -> None:
    """Forget the requests so far and move the sandbox to `moment` (mojo's clock: `clock.pinned`)."""
    sandbox.control.reset()
    sandbox.control.pin_now(moment)


# --- Ticker details ----------------------------------------------------------------------------
def test_a_symbol_cached_before_its_details_gets_them_and_its_stock_data_shows_its_name(sandbox) -> None:
    _refresh("AAPL")
    # As before ticker details existed: no stored details, a fresh stock entry without a name.
    SymbolDetails.objects.filter(symbol="AAPL").delete()
    key = cache.stock_cache_key("AAPL")
    entry = cache.read(key)
    assert entry is not None and entry.is_fresh(clock.now())
    unnamed = cache.Entry({**entry.value, "name": None, "type": None}, entry.fetched_at, entry.fresh_until)
    cache.write(key, unnamed, fresh_ttl=int(entry.fresh_until - clock.now().timestamp()))
    sandbox.control.reset()

    output, status = _refresh("AAPL")

    assert (status, sandbox.control.count("ticker_details")) == (0, 1)
    assert "AAPL: ok stock=fetched" in output  # recomputed although its entry was fresh
    assert (_stock("AAPL")["name"], _stock("AAPL")["type"]) == ("Apple Inc.", "CS")


@pytest.mark.parametrize("extra", [(), ("--force",)], ids=["plain", "forced"])
def test_a_second_refresh_the_same_day_asks_no_reference_data_again(sandbox, extra) -> None:
    _refresh(*PAYERS_AND_NOT)
    sandbox.control.reset()

    _, status = _refresh(*PAYERS_AND_NOT, extra=extra)

    assert (status, sandbox.control.count("ticker_details"), sandbox.control.count("dividends")) == (0, 0, 0)


# --- Dividends: at most daily, outside the session ---------------------------------------------
def test_in_session_the_refresh_asks_no_dividends_of_symbols_checked_yesterday(sandbox) -> None:
    _refresh(*PAYERS_AND_NOT)
    _at(sandbox, WEDNESDAY_IN_SESSION)

    with clock.pinned(WEDNESDAY_IN_SESSION):
        output, status = _refresh(*PAYERS_AND_NOT)

    assert (status, sandbox.control.count("dividends")) == (0, 0), output


def test_in_session_a_symbol_never_checked_has_its_dividends_asked(sandbox) -> None:
    _refresh("AAPL")
    _at(sandbox, WEDNESDAY_IN_SESSION)

    with clock.pinned(WEDNESDAY_IN_SESSION):
        _refresh("AAPL", "KO")

    checked = dict(DividendCheck.objects.values_list("symbol", "checked_on"))
    assert sandbox.control.count("dividends") == 1
    assert checked == {"AAPL": SANDBOX_TODAY, "KO": WEDNESDAY_IN_SESSION.date()}  # KO alone was asked


def test_after_the_days_close_the_refresh_asks_the_dividends_once(sandbox) -> None:
    _refresh(*PAYERS_AND_NOT)
    _at(sandbox, WEDNESDAY_IN_SESSION)
    with clock.pinned(WEDNESDAY_IN_SESSION):
        _refresh(*PAYERS_AND_NOT)
    _at(sandbox, WEDNESDAY_AFTER_CLOSE)

    with clock.pinned(WEDNESDAY_AFTER_CLOSE):
        output, status = _refresh(*PAYERS_AND_NOT)
        again, _ = _refresh(*PAYERS_AND_NOT)

    assert (status, sandbox.control.count("dividends")) == (0, 1), output + again


# --- Entitlements ------------------------------------------------------------------------------
def test_without_dividends_in_the_plan_the_refresh_succeeds_and_healthz_says_so(sandbox, client) -> None:
    sandbox.control.entitlement(DIVIDENDS_PATH, entitled=False)
    api = APIClient()
    api.force_authenticate(UserFactory.create())

    output, status = _refresh("AAPL", "KO")
    stock = api.get("/api/v1/stocks/AAPL/")

    assert status == 0, output
    assert stock.status_code == 200
    assert (stock.json()["name"], stock.json()["next_dividend"]) == ("Apple Inc.", None)
    assert client.get("/healthz").json()["details"]["entitlements"] == {DIVIDENDS_PATH: "not_authorized"}


def test_without_ticker_details_in_the_plan_the_refresh_succeeds_unnamed_after_one_call(sandbox) -> None:
    sandbox.control.entitlement(TICKERS_PATH, entitled=False)

    output, status = _refresh("AAPL", "MSFT", "KO", "SPY")

    assert status == 0, output
    assert sandbox.control.count("ticker_details") == 1  # the lack is learned once, not per symbol
    assert [_stock(symbol)["name"] for symbol in ("AAPL", "MSFT", "KO", "SPY")] == [None] * 4
    assert not SymbolDetails.objects.exists()
