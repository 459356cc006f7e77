"""Stock symbols: the one validation and normalisation every key and row goes through (pure)."""

from __future__ import annotations

import re
from typing import NewType

from marketdata.exceptions import InvalidSymbol

# A symbol that went through normalize_symbol: what keys, rows and data sets take from there on.
Symbol = NewType("Symbol", str)

# 1–5 letters, optionally a class suffix of 1–2 letters after a dot (BRK.B).
SYMBOL_RE = re.compile(r"^[A-Z]{1,5}(\.[A-Z]{1,2})?$")
MAX_RAW_LENGTH = 16


def normalize_symbol(raw: object) -> Symbol:
    """Return the canonical symbol (upper case, `-` as `.`) or raise InvalidSymbol."""
    if not isinstance(raw, str) or not raw.isascii() or len(raw) > MAX_RAW_LENGTH:
        raise InvalidSymbol("A symbol is 1–5 letters, optionally '.' and 1–2 letters (e.g. BRK.B).")
    symbol = raw.strip().upper().replace("-", ".")
    if not SYMBOL_RE.fullmatch(symbol):
        raise InvalidSymbol(
            "A symbol is 1–5 letters, optionally '.' and 1–2 letters (e.g. BRK.B).",
            details={"symbol": raw[:MAX_RAW_LENGTH]},
        )
    return Symbol(symbol)


def option_root(symbol: str) -> str:
    """Return the OCC root of a normalised symbol: the symbol without its dot (BRK.B → BRKB)."""
    return symbol.replace(".", "")
