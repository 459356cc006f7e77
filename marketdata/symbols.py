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
# What is accepted before normalising (either case, `-` for the dot, surrounding spaces), at
# most MAX_RAW_LENGTH characters: the API schema states exactly this pattern.
RAW_SYMBOL_PATTERN = r"^ *[A-Za-z]{1,5}([.-][A-Za-z]{1,2})? *$"
_RAW_SYMBOL_RE = re.compile(RAW_SYMBOL_PATTERN)


def normalize_symbol(raw: object) -> Symbol:
    """Return the canonical symbol (upper case, `-` as `.`) or raise InvalidSymbol."""
    if not isinstance(raw, str) or not raw.isascii() or len(raw) > MAX_RAW_LENGTH:
        raise InvalidSymbol("A symbol is 1–5 letters, optionally '.' and 1–2 letters (e.g. BRK.B).")
    if not _RAW_SYMBOL_RE.fullmatch(raw):
        raise InvalidSymbol(
            "A symbol is 1–5 letters, optionally '.' and 1–2 letters (e.g. BRK.B).",
            details={"symbol": raw[:MAX_RAW_LENGTH]},
        )
    return Symbol(raw.strip(" ").upper().replace("-", "."))


def option_root(symbol: str) -> str:
    """Return the OCC root of a normalised symbol: the symbol without its dot (BRK.B → BRKB)."""
    return symbol.replace(".", "")
