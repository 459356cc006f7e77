"""Option tickers in OCC symbology as Massive writes them (pure).

`O:` + root + `YYMMDD` + `C`|`P` + strike × 1000 as 8 digits, e.g. `O:GOOGL260206C00190000`.
Roots are up to six characters and may carry a digit (adjusted contracts: `O:GME1270115P00003000`),
so tickers are parsed from the right: the last 8 characters are the strike, then the contract type,
then the date; whatever remains after `O:` is the root.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from marketdata.domain import ContractType
from marketdata.exceptions import InvalidOptionTicker
from marketdata.symbols import option_root

PREFIX = "O:"
STRIKE_SCALE = 1000  # the ticker carries the strike in thousandths of a dollar
STRIKE_DIGITS = 8
MAX_STRIKE_UNITS = 10**STRIKE_DIGITS - 1
# A root starts with a letter; adjusted contracts add a digit (GME1), class shares drop the dot (BRKB).
ROOT_RE = re.compile(r"^[A-Z][A-Z0-9]{0,5}$")
_TAIL_RE = re.compile(r"^(?P<date>[0-9]{6})(?P<type>[CP])(?P<strike>[0-9]{8})$")
_TAIL_LENGTH = 6 + 1 + STRIKE_DIGITS
_TYPE_LETTER: dict[str, str] = {"call": "C", "put": "P"}
_LETTER_TYPE: dict[str, ContractType] = {"C": "call", "P": "put"}
# Two-digit years: OCC tickers cover 2000–2099.
_CENTURY = 2000

# An option ticker the quote endpoint can answer (its root names a stock symbol, perhaps with
# an adjustment digit; the date's month and day in range): the API schema's pattern. A date
# that does not exist (O:…260231…) or a zero strike still parse as errors (400).
QUOTABLE_PATTERN = r"^O:[A-Z]{1,5}[0-9]?[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[CP][0-9]{8}$"
# Any well-formed option ticker (a position's contract): root 1–6 letters or digits.
TICKER_PATTERN = r"^O:[A-Z][A-Z0-9]{0,5}[0-9]{6}[CP][0-9]{8}$"

FORMAT_HINT = "An option ticker looks like O:AAPL260116C00150000 (O:, root, YYMMDD, C or P, strike × 1000)."


@dataclass(frozen=True, slots=True)
class ParsedOption:
    """The parts of an option ticker."""

    root: str
    expiration: date
    contract_type: ContractType
    strike: float


def build(root: str, expiration: date, contract_type: str, strike: float) -> str:
    """Return the option ticker for a contract, or raise InvalidOptionTicker."""
    if not isinstance(root, str) or not ROOT_RE.fullmatch(root):
        raise InvalidOptionTicker(
            "An option root is 1–6 upper-case letters or digits, starting with a letter.",
            details={"root": str(root)[:16]},
        )
    if not _CENTURY <= expiration.year < _CENTURY + 100:
        raise InvalidOptionTicker(
            "Option expirations must fall in 2000–2099.", details={"expiration": expiration.isoformat()}
        )
    letter = _TYPE_LETTER.get(contract_type)
    if letter is None:
        raise InvalidOptionTicker(
            "The contract type is 'call' or 'put'.", details={"contract_type": str(contract_type)[:16]}
        )
    return f"{PREFIX}{root}{expiration:%y%m%d}{letter}{_strike_units(strike):0{STRIKE_DIGITS}d}"


def parse(ticker: str) -> ParsedOption:
    """Split an option ticker into its parts, or raise InvalidOptionTicker saying what is wrong."""
    if not isinstance(ticker, str) or not ticker.startswith(PREFIX):
        raise _malformed(ticker, f"it must start with {PREFIX!r}.")
    body = ticker[len(PREFIX) :]
    root, tail = body[:-_TAIL_LENGTH], body[-_TAIL_LENGTH:]
    match = _TAIL_RE.fullmatch(tail)
    if match is None:
        raise _malformed(ticker, "it must end with YYMMDD, C or P, and 8 strike digits after the root.")
    if not ROOT_RE.fullmatch(root):
        raise _malformed(ticker, "the root must be 1–6 upper-case letters or digits, starting with a letter.")
    digits = match["date"]
    try:
        expiration = date(_CENTURY + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        raise _malformed(ticker, f"{digits} is not a date (YYMMDD).") from None
    units = int(match["strike"])
    if units == 0:
        raise _malformed(ticker, "the strike must be greater than 0.")
    return ParsedOption(
        root=root,
        expiration=expiration,
        contract_type=_LETTER_TYPE[match["type"]],
        strike=units / STRIKE_SCALE,
    )


def root_belongs_to(root: str, symbol: str) -> bool:
    """Tell whether an option root trades on a (normalised) stock symbol.

    The root is the symbol without its dot (BRK.B → BRKB), optionally followed by one digit for
    adjusted contracts (GME → GME1).
    """
    base = option_root(symbol)
    if root == base:
        return True
    return len(root) == len(base) + 1 and root.startswith(base) and root[-1].isdigit()


def _strike_units(strike: float) -> int:
    """Return the strike in thousandths of a dollar, or raise when the ticker cannot carry it."""
    scaled = strike * STRIKE_SCALE
    units = round(scaled) if math.isfinite(scaled) else 0
    if not 0 < units <= MAX_STRIKE_UNITS or abs(scaled - units) > 1e-6:
        raise InvalidOptionTicker(
            "A strike is greater than 0, below 100000 and has at most 3 decimals.",
            details={"strike": strike},
        )
    return units


def _malformed(ticker: object, reason: str) -> InvalidOptionTicker:
    shown = ticker[:32] if isinstance(ticker, str) else repr(ticker)[:32]
    return InvalidOptionTicker(
        f"{shown!r} is not an option ticker: {reason} {FORMAT_HINT}", details={"option_ticker": shown}
    )
