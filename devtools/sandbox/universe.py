"""The symbols a sandbox serves: the 57 hand-profiled ones, and N generated ones on request.

`universe_of(n)` is the universe of a server started with `universe=n`: `data.UNIVERSE`'s
symbols, then n generated ones. Generation is deterministic and the same on every machine:

- names come from one seeded stream of 4–5 letter names, skipping the 57, their option roots
  (BRKB) and names already drawn, so the first n of any larger universe are the same n;
- each profile is seeded by its name: a template drawn from the 57 (an ETF about as often as
  the 57 have one; otherwise a company, whose liquidity class it takes) with its price, volatility
  and volume jittered and kept within the span the 57 cover, so chains, earnings and dividends
  (see `dividends.generated_terms`) come from the same distributions.

Profiles are all a universe keeps (5,000 of them in ~50 ms); bars, chains and reports are
generated from them per request, one calendar year at a time (see `data`). Pure: no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from devtools.sandbox import data
from devtools.sandbox.data import SymbolProfile

# More than anyone should ask of a sandbox: a bound on memory and on the name stream.
MAX_EXTRA = 20_000

_SUFFIXES = ("Holdings, Inc.", "Corporation", "Technologies, Inc.", "Group, Inc.", "Industries, Inc.")


def _seed(*parts: object) -> int:
    """A stable 64-bit seed for the parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True, slots=True)
class _Names:
    """The generated names drawn so far, in order, and the stream they come from."""

    drawn: list[str]
    taken: set[str]
    rng: random.Random


_names = _Names(
    drawn=[],
    taken=set(data.UNIVERSE) | {profile.option_root for profile in data.UNIVERSE.values()},
    rng=random.Random(_seed("universe", "names")),
)
_names_lock = threading.Lock()


def generated_names(n: int) -> tuple[str, ...]:
    """The first `n` generated names (4–5 upper-case letters, none of the 57's or their roots)."""
    if not 0 <= n <= MAX_EXTRA:
        raise ValueError(f"the sandbox generates 0 to {MAX_EXTRA} extra symbols, not {n}")
    with _names_lock:
        while len(_names.drawn) < n:
            rng = _names.rng
            name = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice((4, 5))))
            if name not in _names.taken:
                _names.taken.add(name)
                _names.drawn.append(name)
        return tuple(_names.drawn[:n])


_ETFS = tuple(p for p in data.UNIVERSE.values() if p.is_etf)
_COMPANIES = tuple(p for p in data.UNIVERSE.values() if not p.is_etf)
_PRICES = (min(p.price for p in data.UNIVERSE.values()), max(p.price for p in data.UNIVERSE.values()))
_VOLATILITIES = (
    min(p.volatility for p in data.UNIVERSE.values()),
    max(p.volatility for p in data.UNIVERSE.values()),
)
_AFTER_CLOSE_SHARE = sum(p.reports_after_close for p in _COMPANIES) / len(_COMPANIES)


def _within(value: float, bounds: tuple[float, float]) -> float:
    return min(bounds[1], max(bounds[0], value))


def generated_profile(symbol: str) -> SymbolProfile:
    """The profile of a generated name: a jittered copy of a template drawn from the 57."""
    rng = random.Random(_seed("universe", "profile", symbol))
    is_etf = rng.random() < len(_ETFS) / len(data.UNIVERSE)
    template = rng.choice(_ETFS if is_etf else _COMPANIES)
    title = symbol.capitalize()
    name = f"{title} Sector Index ETF" if is_etf else f"{title} {rng.choice(_SUFFIXES)}"
    return SymbolProfile(
        symbol=symbol,
        name=name,
        price=round(_within(template.price * math.exp(rng.gauss(0.0, 0.35)), _PRICES), 2),
        volatility=round(_within(template.volatility * math.exp(rng.gauss(0.0, 0.15)), _VOLATILITIES), 3),
        liquidity=template.liquidity,
        volume=float(round(template.volume * math.exp(rng.gauss(0.0, 0.5)), -3) or 1000.0),
        is_etf=is_etf,
        reports_after_close=is_etf or rng.random() < _AFTER_CLOSE_SHARE,
    )


class Universe:
    """The symbols one sandbox serves, in order: UNIVERSE's, then `extra` generated ones."""

    def __init__(self, extra: int) -> None:
        generated = [generated_profile(name) for name in generated_names(extra)]
        data.add_generated(generated)
        self.extra = extra
        self.profiles: dict[str, SymbolProfile] = {**data.UNIVERSE, **{p.symbol: p for p in generated}}
        self.symbols: tuple[str, ...] = tuple(self.profiles)
        self.generated: tuple[str, ...] = tuple(p.symbol for p in generated)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.profiles

    def __iter__(self) -> Iterator[str]:
        return iter(self.symbols)

    def __len__(self) -> int:
        return len(self.symbols)

    def profile(self, symbol: str) -> SymbolProfile | None:
        """The symbol's profile, or None when this universe does not serve it."""
        return self.profiles.get(symbol)


@functools.lru_cache(maxsize=8)
def universe_of(extra: int = 0) -> Universe:
    """The universe with `extra` generated symbols (one shared instance per size)."""
    return Universe(extra)


DEFAULT = universe_of(0)
