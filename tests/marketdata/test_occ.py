"""Option tickers: build and parse OCC symbology as Massive writes it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdata import occ
from marketdata.exceptions import InvalidOptionTicker

roots = st.from_regex(r"[A-Z][A-Z0-9]{0,5}", fullmatch=True)
expirations = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
contract_types = st.sampled_from(["call", "put"])
strike_units = st.integers(min_value=1, max_value=99_999_999)


@given(root=roots, expiration=expirations, contract_type=contract_types, units=strike_units)
def test_parse_returns_what_build_was_given(root, expiration, contract_type, units):
    strike = units / 1000
    parsed = occ.parse(occ.build(root, expiration, contract_type, strike))
    assert parsed == occ.ParsedOption(root, expiration, contract_type, strike)


@given(root=roots, expiration=expirations, letter=st.sampled_from("CP"), units=strike_units)
def test_build_reproduces_every_parsed_ticker(root, expiration, letter, units):
    ticker = f"O:{root}{expiration.strftime('%y%m%d')}{letter}{units:08d}"
    parsed = occ.parse(ticker)
    assert occ.build(parsed.root, parsed.expiration, parsed.contract_type, parsed.strike) == ticker


def test_parse_reads_the_documented_example():
    assert occ.parse("O:GOOGL260206C00190000") == occ.ParsedOption("GOOGL", date(2026, 2, 6), "call", 190.0)


def test_parse_keeps_the_digit_of_an_adjusted_root():
    assert occ.parse("O:GME1270115P00003000") == occ.ParsedOption("GME1", date(2027, 1, 15), "put", 3.0)


def test_parse_reads_fractional_strikes():
    assert occ.parse("O:NVDA250117P00130500").strike == 130.5


def test_build_writes_strikes_in_thousandths_padded_to_eight_digits():
    assert occ.build("BRKB", date(2026, 1, 16), "call", 130.5) == "O:BRKB260116C00130500"


@pytest.mark.parametrize(
    "ticker",
    [
        "",
        "AAPL260116C00150000",  # no O: prefix
        "o:AAPL260116C00150000",  # lower-case prefix
        "O:",
        "O:260116C00150000",  # no root
        "O:aapl260116C00150000",  # lower-case root
        "O:1AAPL260116C00150000",  # root starts with a digit
        "O:ABCDEFG260116C00150000",  # root longer than six
        "O:AAPL261316C00150000",  # month 13
        "O:AAPL260230C00150000",  # 30 February
        "O:AAPL260116X00150000",  # neither C nor P
        "O:AAPL260116C0015000",  # seven strike digits
        "O:AAPL260116C001500000",  # nine strike digits
        "O:AAPL260116C00000000",  # zero strike
        "O:AAPL260116C0015000A",
        " O:AAPL260116C00150000",
    ],
)
def test_parse_rejects_malformed_tickers_with_invalid_option_ticker(ticker):
    with pytest.raises(InvalidOptionTicker):
        occ.parse(ticker)


def test_parse_rejects_non_strings_with_invalid_option_ticker():
    with pytest.raises(InvalidOptionTicker):
        occ.parse(None)  # type: ignore[arg-type]


def test_parse_error_message_says_what_a_ticker_looks_like():
    with pytest.raises(InvalidOptionTicker, match="O:AAPL260116C00150000"):
        occ.parse("AAPL 150 call")


@pytest.mark.parametrize(
    ("root", "expiration", "contract_type", "strike"),
    [
        ("aapl", date(2026, 1, 16), "call", 150.0),
        ("", date(2026, 1, 16), "call", 150.0),
        ("BRK.B", date(2026, 1, 16), "call", 150.0),
        ("AAPL", date(1999, 12, 31), "call", 150.0),
        ("AAPL", date(2100, 1, 1), "call", 150.0),
        ("AAPL", date(2026, 1, 16), "C", 150.0),
        ("AAPL", date(2026, 1, 16), "call", 0.0),
        ("AAPL", date(2026, 1, 16), "call", -5.0),
        ("AAPL", date(2026, 1, 16), "call", 100_000.0),
        ("AAPL", date(2026, 1, 16), "call", 150.0005),
        ("AAPL", date(2026, 1, 16), "call", float("nan")),
        ("AAPL", date(2026, 1, 16), "call", float("inf")),
    ],
)
def test_build_rejects_what_a_ticker_cannot_carry(root, expiration, contract_type, strike):
    with pytest.raises(InvalidOptionTicker):
        occ.build(root, expiration, contract_type, strike)


@pytest.mark.parametrize(
    ("root", "symbol"),
    [("AAPL", "AAPL"), ("GME1", "GME"), ("BRKB", "BRK.B"), ("BRKB2", "BRK.B")],
)
def test_root_belongs_to_its_symbol_with_or_without_one_digit(root, symbol):
    assert occ.root_belongs_to(root, symbol)


@pytest.mark.parametrize(
    ("root", "symbol"),
    [
        ("MSFT", "AAPL"),
        ("AAPL", "AAP"),
        ("AAP", "AAPL"),
        ("GME12", "GME"),
        ("GMEX", "GME"),
        ("BRKA", "BRK.B"),
    ],
)
def test_root_of_another_symbol_does_not_belong(root, symbol):
    assert not occ.root_belongs_to(root, symbol)
