"""Symbols: what is accepted is exactly what the API schema's pattern says."""

from __future__ import annotations

import re

import pytest

from marketdata.exceptions import InvalidSymbol
from marketdata.occ import QUOTABLE_PATTERN, TICKER_PATTERN
from marketdata.symbols import RAW_SYMBOL_PATTERN, normalize_symbol


@pytest.mark.parametrize(
    ("raw", "symbol"), [("aapl", "AAPL"), (" brk-b ", "BRK.B"), ("BRK.B", "BRK.B"), ("A", "A")]
)
def test_lower_case_dashes_and_surrounding_spaces_are_normalised(raw: str, symbol: str) -> None:
    assert re.fullmatch(RAW_SYMBOL_PATTERN, raw)
    assert normalize_symbol(raw) == symbol


@pytest.mark.parametrize("raw", ["0", "\tAAPL", "AAPL\n", "TOOLONG", "BRK.BBB", "BRK..B", "", "ÄPL"])
def test_what_the_pattern_refuses_is_refused(raw: str) -> None:
    assert not re.fullmatch(RAW_SYMBOL_PATTERN, raw)
    with pytest.raises(InvalidSymbol):
        normalize_symbol(raw)


def test_a_quotable_option_ticker_is_a_well_formed_one() -> None:
    for ticker in ("O:AAPL261218C00200000", "O:GME1261218P00020000", "O:BRKB270115C00500000"):
        assert re.fullmatch(QUOTABLE_PATTERN, ticker) and re.fullmatch(TICKER_PATTERN, ticker)
    assert not re.fullmatch(QUOTABLE_PATTERN, "O:ABCDEF261218C00200000")  # no 6-letter symbol
    assert not re.fullmatch(QUOTABLE_PATTERN, "O:AAPL261318C00200000")  # month 13
