"""Massive's ticker details against the sandbox: what a symbol is, through the official client."""

from __future__ import annotations

import pytest

from devtools.sandbox import data as sandbox_data
from marketdata.clients import get_massive_client
from marketdata.exceptions import TickerNotFound


def test_ticker_details_give_the_name_type_and_listing(sandbox) -> None:
    aapl = get_massive_client().get_ticker_details("AAPL")
    spy = get_massive_client().get_ticker_details("SPY")

    assert (aapl.symbol, aapl.type, aapl.active) == ("AAPL", "CS", True)
    assert aapl.name == sandbox_data.UNIVERSE["AAPL"].name
    assert spy.type == "ETF" and spy.primary_exchange is not None
    assert sandbox.control.count("ticker_details") == 2


def test_an_unknown_ticker_is_not_found(sandbox) -> None:
    with pytest.raises(TickerNotFound):
        get_massive_client().get_ticker_details("ZZZZ")
