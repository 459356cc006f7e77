"""The sandbox's market: deterministic bars, option chains and earnings in wire shapes (pure).

Everything here is seeded by the symbol, so the same symbol always has the same history:
the price walk is generated once over a fixed span of real NYSE sessions (exchange_calendars
XNYS, explicit bounds) and sliced by `today`, so pinning a different today shows the same past.
Chains and earnings depend on `(symbol, today)` and are cached per pair.

Prices and greeks come from `marketdata.pricing.black_scholes` with a per-expiry IV
smile and term structure; the ATM 30-day IV of any past session is `atm_iv_on`. No Django.

Splits (`splits`: AVGO's in the history, live ones from the control API) scale the walk on
the way out, never in the cached tuples: bars, spot, chains and earnings per share as of
`today` are on today's adjusted level, raw bars on each session's own.

Generated symbols (`universe.py`, registered with `add_generated`) go through the same
functions; their walks and reports are generated a calendar year (or quarter) at a time from
their own seeds and kept in bounded caches, so thousands of them stay cheap (see "generated
symbols" below). The functions answer for any known symbol: which symbols a server serves is
its `Universe`'s business.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import numpy as np

from devtools.sandbox.splits import HISTORY, Split, level, of_symbol
from marketdata import occ
from marketdata.market_hours import NEW_YORK
from marketdata.pricing import black_scholes

# The fixed span the walks are generated over; `today` must leave room for 30 months of expiries.
SPAN_START = date(2012, 1, 1)
SPAN_END = date(2035, 12, 31)
# Prices are anchored near the profile's price on this session.
REFERENCE_SESSION = date(2026, 1, 2)
RATE = 0.04
BAR_YEARS = 5
# Liquid names get Monday/Wednesday expiries in their first weeks, as index ETFs do.
DAILY_EXPIRY_SYMBOLS = frozenset({"SPY", "QQQ", "IWM"})

Liquidity = Literal["liquid", "normal", "illiquid"]


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    """One sandbox symbol: its name, price level, volatility, liquidity and share volume."""

    symbol: str
    name: str
    price: float
    volatility: float
    liquidity: Liquidity
    volume: float
    is_etf: bool = False
    reports_after_close: bool = True

    @property
    def option_root(self) -> str:
        """The OCC root: the symbol without its dot (BRK.B → BRKB)."""
        return self.symbol.replace(".", "")


def _profiles() -> dict[str, SymbolProfile]:
    rows: list[tuple[str, str, float, float, Liquidity, float, bool, bool]] = [
        # symbol, name, price, volatility, liquidity, daily volume, ETF, reports after close
        ("SPY", "SPDR S&P 500 ETF Trust", 680.0, 0.16, "liquid", 70e6, True, True),
        ("QQQ", "Invesco QQQ Trust", 615.0, 0.21, "liquid", 45e6, True, True),
        ("IWM", "iShares Russell 2000 ETF", 250.0, 0.22, "liquid", 30e6, True, True),
        ("AAPL", "Apple Inc.", 270.0, 0.27, "liquid", 50e6, False, True),
        ("MSFT", "Microsoft Corporation", 480.0, 0.24, "liquid", 20e6, False, True),
        ("NVDA", "NVIDIA Corporation", 185.0, 0.50, "liquid", 180e6, False, True),
        ("GOOGL", "Alphabet Inc. Class A", 315.0, 0.30, "liquid", 30e6, False, True),
        ("AMZN", "Amazon.com, Inc.", 230.0, 0.32, "liquid", 40e6, False, True),
        ("META", "Meta Platforms, Inc.", 650.0, 0.38, "liquid", 12e6, False, True),
        ("TSLA", "Tesla, Inc.", 440.0, 0.60, "liquid", 90e6, False, True),
        ("AMD", "Advanced Micro Devices, Inc.", 220.0, 0.52, "liquid", 45e6, False, True),
        ("NFLX", "Netflix, Inc.", 95.0, 0.38, "liquid", 35e6, False, True),
        ("JPM", "JPMorgan Chase & Co.", 310.0, 0.22, "normal", 9e6, False, False),
        ("BAC", "Bank of America Corporation", 55.0, 0.26, "normal", 35e6, False, False),
        ("XOM", "Exxon Mobil Corporation", 118.0, 0.24, "normal", 15e6, False, False),
        ("CVX", "Chevron Corporation", 155.0, 0.24, "normal", 8e6, False, False),
        ("WMT", "Walmart Inc.", 110.0, 0.20, "normal", 18e6, False, False),
        ("COST", "Costco Wholesale Corporation", 880.0, 0.22, "normal", 2e6, False, True),
        ("HD", "The Home Depot, Inc.", 350.0, 0.23, "normal", 3.5e6, False, False),
        ("DIS", "The Walt Disney Company", 112.0, 0.28, "normal", 9e6, False, True),
        ("KO", "The Coca-Cola Company", 70.0, 0.16, "normal", 14e6, False, False),
        ("PEP", "PepsiCo, Inc.", 145.0, 0.18, "normal", 6e6, False, False),
        ("INTC", "Intel Corporation", 38.0, 0.48, "normal", 80e6, False, True),
        ("CSCO", "Cisco Systems, Inc.", 78.0, 0.24, "normal", 18e6, False, True),
        ("ORCL", "Oracle Corporation", 195.0, 0.42, "normal", 12e6, False, True),
        ("CRM", "Salesforce, Inc.", 265.0, 0.34, "normal", 7e6, False, True),
        ("ADBE", "Adobe Inc.", 350.0, 0.33, "normal", 3.5e6, False, True),
        ("AVGO", "Broadcom Inc.", 350.0, 0.45, "normal", 25e6, False, True),
        ("QCOM", "QUALCOMM Incorporated", 175.0, 0.35, "normal", 8e6, False, True),
        ("V", "Visa Inc.", 350.0, 0.20, "normal", 6e6, False, True),
        ("MA", "Mastercard Incorporated", 570.0, 0.21, "normal", 3e6, False, False),
        ("UNH", "UnitedHealth Group Incorporated", 330.0, 0.36, "normal", 9e6, False, False),
        ("JNJ", "Johnson & Johnson", 205.0, 0.17, "normal", 8e6, False, False),
        ("PFE", "Pfizer Inc.", 25.0, 0.24, "normal", 40e6, False, False),
        ("MRK", "Merck & Co., Inc.", 105.0, 0.25, "normal", 12e6, False, False),
        ("BA", "The Boeing Company", 215.0, 0.36, "normal", 8e6, False, False),
        ("CAT", "Caterpillar Inc.", 580.0, 0.30, "normal", 3e6, False, False),
        ("GE", "GE Aerospace", 310.0, 0.30, "normal", 5e6, False, False),
        ("NKE", "NIKE, Inc.", 65.0, 0.34, "normal", 12e6, False, True),
        ("SBUX", "Starbucks Corporation", 85.0, 0.30, "normal", 9e6, False, True),
        ("PYPL", "PayPal Holdings, Inc.", 60.0, 0.38, "normal", 12e6, False, True),
        ("UBER", "Uber Technologies, Inc.", 82.0, 0.40, "normal", 18e6, False, False),
        ("PLTR", "Palantir Technologies Inc.", 180.0, 0.65, "normal", 60e6, False, True),
        ("COIN", "Coinbase Global, Inc.", 230.0, 0.75, "normal", 9e6, False, True),
        ("MU", "Micron Technology, Inc.", 285.0, 0.55, "normal", 25e6, False, True),
        ("T", "AT&T Inc.", 25.0, 0.20, "normal", 30e6, False, False),
        ("VZ", "Verizon Communications Inc.", 41.0, 0.18, "normal", 18e6, False, False),
        ("BRK.B", "Berkshire Hathaway Inc. Class B", 500.0, 0.17, "normal", 4e6, False, False),
        ("A", "Agilent Technologies, Inc.", 140.0, 0.28, "normal", 1.8e6, False, True),
        ("KALU", "Kaiser Aluminum Corporation", 105.0, 0.38, "illiquid", 0.15e6, False, True),
        ("PLOW", "Douglas Dynamics, Inc.", 32.0, 0.30, "illiquid", 0.2e6, False, True),
        ("HVT", "Haverty Furniture Companies, Inc.", 22.0, 0.35, "illiquid", 0.15e6, False, False),
        ("CASS", "Cass Information Systems, Inc.", 42.0, 0.27, "illiquid", 0.06e6, False, False),
        ("ATNI", "ATN International, Inc.", 21.0, 0.40, "illiquid", 0.1e6, False, True),
        ("MOV", "Movado Group, Inc.", 19.0, 0.38, "illiquid", 0.2e6, False, False),
        ("CAL", "Caleres, Inc.", 13.0, 0.45, "illiquid", 0.8e6, False, True),
        ("ASTE", "Astec Industries, Inc.", 45.0, 0.36, "illiquid", 0.2e6, False, True),
    ]
    return {row[0]: SymbolProfile(*row) for row in rows}


UNIVERSE: dict[str, SymbolProfile] = _profiles()
LIQUID_SYMBOLS: tuple[str, ...] = tuple(s for s, p in UNIVERSE.items() if p.liquidity == "liquid")

# The extra symbols `universe.py` generates for servers started with `universe=N`, registered
# here as they are first generated (names never clash with UNIVERSE's). Their walks, reports
# and dividends are generated one calendar year at a time (see "generated symbols" below).
_GENERATED: dict[str, SymbolProfile] = {}
_generated_lock = threading.Lock()


def add_generated(profiles: Iterable[SymbolProfile]) -> None:
    """Make generated profiles known to the data functions (the same name: the same profile)."""
    with _generated_lock:
        for profile in profiles:
            if profile.symbol in UNIVERSE:
                raise ValueError(f"{profile.symbol} is one of the hand-profiled symbols")
            _GENERATED.setdefault(profile.symbol, profile)


def profile_of(symbol: str) -> SymbolProfile | None:
    """The symbol's profile: one of UNIVERSE's, a generated one, or None for an unknown symbol."""
    return UNIVERSE.get(symbol) or _GENERATED.get(symbol)


def is_generated(symbol: str) -> bool:
    """True for a generated symbol (one served only by a server with extra symbols)."""
    return symbol in _GENERATED


def _profile(symbol: str) -> SymbolProfile:
    profile = profile_of(symbol)
    if profile is None:
        raise KeyError(symbol)
    return profile


def _seed(*parts: object) -> int:
    """Return a stable 64-bit seed for the parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


# --- the NYSE calendar -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sessions:
    dates: tuple[date, ...]
    index: dict[date, int]
    opens: tuple[datetime, ...]
    closes: tuple[datetime, ...]
    midnight_ms: tuple[int, ...]

    def last_index(self, day: date) -> int:
        """Index of the last session on or before `day` (-1 when there is none)."""
        return bisect_right(self.dates, day) - 1

    def on_or_before(self, day: date) -> date:
        """The session itself, or the last session before it (holiday expiries move back)."""
        position = self.last_index(day)
        if position < 0:
            raise ValueError(f"{day} is before the sandbox calendar starts")
        return self.dates[position]


_calendar_lock = threading.Lock()
_calendar: _Sessions | None = None


def _sessions() -> _Sessions:
    """The NYSE sessions of the whole span, built once (exchange_calendars is slow to import)."""
    global _calendar
    if (built := _calendar) is not None:  # the lock only guards the first build
        return built
    with _calendar_lock:
        if _calendar is None:
            import exchange_calendars

            # Explicit bounds: the default ends a year after today and expiries go further.
            calendar = exchange_calendars.get_calendar(
                "XNYS", start=SPAN_START.isoformat(), end=SPAN_END.isoformat()
            )
            dates = tuple(ts.date() for ts in calendar.sessions)
            _calendar = _Sessions(
                dates=dates,
                index={d: i for i, d in enumerate(dates)},
                opens=tuple(ts.to_pydatetime().astimezone(UTC) for ts in calendar.opens),
                closes=tuple(ts.to_pydatetime().astimezone(UTC) for ts in calendar.closes),
                midnight_ms=tuple(
                    int(datetime(d.year, d.month, d.day, tzinfo=NEW_YORK).timestamp()) * 1000 for d in dates
                ),
            )
        return _calendar


def warm_up() -> None:
    """Build the NYSE calendar now: the first build (exchange_calendars, pandas) takes ~0.5 s."""
    _sessions()


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _check_today(today: date) -> None:
    latest = SPAN_END - timedelta(days=31 * 31)
    if not SPAN_START + timedelta(days=31) <= today <= latest:
        raise ValueError(f"the sandbox serves days from {SPAN_START} to {latest}, not {today}")


# --- earnings schedule -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Report:
    day: date
    fiscal_end: date
    after_close: bool
    eps_estimated: float
    eps_actual: float
    revenue_estimated: float
    revenue_actual: float
    move: float  # standard deviation of the stock's earnings-day jump (log return)


@dataclass(frozen=True, slots=True)
class _Terms:
    """A company's earnings terms: how long after a quarter it reports, and at what scale."""

    base_offset: int
    annual_revenue: float
    eps: float
    growth: float
    move: float


def _terms(rng: random.Random, profile: SymbolProfile) -> _Terms:
    base_offset = rng.randint(20, 38)
    annual_revenue = 10 ** rng.uniform(*_REVENUE_RANGE[profile.liquidity])
    eps = profile.price / rng.uniform(18, 32) / 4
    growth = rng.uniform(0.02, 0.14)
    move = profile.volatility * rng.uniform(0.12, 0.2)
    return _Terms(base_offset, annual_revenue, eps, growth, move)


_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def _quarter(
    rng: random.Random, profile: SymbolProfile, terms: _Terms, fiscal_end: date, sessions: _Sessions
) -> _Report | None:
    """The report of the quarter ending `fiscal_end`, on a session (None outside the span)."""
    offset = terms.base_offset + rng.randint(-3, 3) + (9 if fiscal_end.month == 12 else 0)
    day = fiscal_end + timedelta(days=offset)
    while day not in sessions.index:
        day += timedelta(days=1)
        if day > SPAN_END:
            break
    if not SPAN_START <= day <= SPAN_END:
        return None
    years = (fiscal_end - REFERENCE_SESSION).days / 365.0
    scale = (1 + terms.growth) ** years
    eps_estimated = round(terms.eps * scale * rng.uniform(0.9, 1.1), 2)
    revenue_estimated = round(terms.annual_revenue / 4 * scale * rng.uniform(0.95, 1.05))
    return _Report(
        day=day,
        fiscal_end=fiscal_end,
        after_close=profile.reports_after_close,
        eps_estimated=eps_estimated,
        eps_actual=round(eps_estimated * (1 + rng.gauss(0.03, 0.06)), 2),
        revenue_estimated=revenue_estimated,
        revenue_actual=round(revenue_estimated * (1 + rng.gauss(0.01, 0.02))),
        move=terms.move,
    )


# Fiscal years with reports: the one before the span (its last quarter reports inside it) on.
_FISCAL_YEARS = range(SPAN_START.year - 1, SPAN_END.year)


@functools.cache
def _reports(symbol: str) -> tuple[_Report, ...]:
    """Every quarterly report of a UNIVERSE symbol over the span (ETFs have none)."""
    profile = UNIVERSE[symbol]
    if profile.is_etf:
        return ()
    rng = random.Random(_seed("earnings", symbol))
    sessions = _sessions()
    terms = _terms(rng, profile)
    reports = []
    for year in _FISCAL_YEARS:
        for month, last_day in _QUARTER_ENDS:
            report = _quarter(rng, profile, terms, date(year, month, last_day), sessions)
            if report is not None:
                reports.append(report)
    return tuple(reports)


@functools.lru_cache(maxsize=8192)
def _generated_terms(symbol: str) -> _Terms:
    return _terms(random.Random(_seed("earnings", symbol)), _GENERATED[symbol])


@functools.lru_cache(maxsize=65536)
def _generated_quarter(symbol: str, fiscal_year: int, quarter: int) -> _Report | None:
    """A generated company's report of one fiscal quarter (1–4), on its own seed: any one is cheap."""
    month, last_day = _QUARTER_ENDS[quarter - 1]
    rng = random.Random(_seed("earnings", symbol, fiscal_year, quarter))
    terms = _generated_terms(symbol)
    return _quarter(rng, _GENERATED[symbol], terms, date(fiscal_year, month, last_day), _sessions())


def _year_reports(symbol: str, fiscal_year: int, quarters: range = range(1, 5)) -> tuple[_Report, ...]:
    """A generated symbol's reports of (some quarters of) one fiscal year; none for an ETF."""
    if _GENERATED[symbol].is_etf or fiscal_year not in _FISCAL_YEARS:
        return ()
    reports = (_generated_quarter(symbol, fiscal_year, quarter) for quarter in quarters)
    return tuple(report for report in reports if report is not None)


def _reports_from(symbol: str, day: date) -> Iterator[_Report]:
    """The symbol's reports of the fiscal years from the one before `day`'s on, oldest first."""
    if symbol in UNIVERSE:
        yield from (r for r in _reports(symbol) if r.fiscal_end.year >= day.year - 1)
        return
    for fiscal_year in range(day.year - 1, _FISCAL_YEARS.stop):
        yield from _year_reports(symbol, fiscal_year)


_REVENUE_RANGE: dict[Liquidity, tuple[float, float]] = {
    "liquid": (10.6, 11.6),
    "normal": (9.6, 11.0),
    "illiquid": (8.3, 9.3),
}


def _reaction_index(report: _Report) -> int:
    """Index of the session whose bar carries the report's jump."""
    sessions = _sessions()
    position = sessions.index[report.day]
    return position + 1 if report.after_close else position


# --- the price walk ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Series:
    opens: list[float]
    highs: list[float]
    lows: list[float]
    closes: list[float]
    volumes: list[float]
    vwaps: list[float]
    transactions: list[int]
    base_iv: list[float]  # ATM 30-day IV without the earnings premium


def _regimes(rng: np.random.Generator, n: int, is_etf: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each session's regime: an annual drift and a volatility multiplier, in runs of ~70 sessions."""
    drift_center, drift_spread = (0.07, 0.18) if is_etf else (0.08, 0.30)
    regime_drift = np.empty(n)
    regime_vol = np.empty(n)
    start = 0
    while start < n:
        length = max(15, int(rng.geometric(1 / 70)))
        drift = rng.normal(drift_center, drift_spread)
        vol_multiplier = math.exp(rng.normal(0.0, 0.18)) * (1.2 if drift < -0.05 else 1.0)
        regime_drift[start : start + length] = drift
        regime_vol[start : start + length] = vol_multiplier
        start += length
    return regime_drift, regime_vol


def _jumps(
    rng: np.random.Generator, reports: Iterable[_Report], first: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The earnings-day jumps (log returns) and volume boosts of sessions first … first + n - 1."""
    jumps = np.zeros(n)
    volume_boost = np.ones(n)
    for report in reports:
        position = _reaction_index(report) - first
        if 0 <= position < n:
            jumps[position] = rng.normal(0.0, report.move)
            volume_boost[position] = 3.0
    return jumps, volume_boost


@dataclass(frozen=True, slots=True)
class _Candles:
    o: np.ndarray
    h: np.ndarray
    low: np.ndarray
    c: np.ndarray
    v: np.ndarray
    vw: np.ndarray
    trade_size: float


def _candles(
    rng: np.random.Generator,
    profile: SymbolProfile,
    closes: np.ndarray,
    previous: np.ndarray,
    sigma: np.ndarray,
    jumps: np.ndarray,
    volume_boost: np.ndarray,
) -> _Candles:
    """Opens, highs, lows and volumes around the walk's closes, in cents and whole shares."""
    n = len(closes)
    opens = previous * np.exp(sigma * rng.normal(0.0, 0.3, n) + 0.25 * jumps)
    upper = np.maximum(opens, closes) * np.exp(sigma * np.abs(rng.normal(0.0, 0.6, n)))
    lower = np.minimum(opens, closes) * np.exp(-sigma * np.abs(rng.normal(0.0, 0.6, n)))
    moves = np.abs(np.log(closes / previous)) / sigma
    volumes = profile.volume * np.exp(rng.normal(0.0, 0.3, n)) * (0.7 + 0.3 * moves) * volume_boost
    trade_size = rng.uniform(60, 160)
    o = np.round(opens, 2)
    c = np.round(closes, 2)
    h = np.maximum(np.round(upper, 2), np.maximum(o, c))
    low = np.minimum(np.round(lower, 2), np.minimum(o, c))
    vw = np.round((h + low + c) / 3, 4)
    return _Candles(o=o, h=h, low=low, c=c, v=np.round(volumes), vw=vw, trade_size=trade_size)


def _implied(rng: np.random.Generator, profile: SymbolProfile, regime_vol: np.ndarray) -> np.ndarray:
    """ATM 30-day IV without the earnings premium: the regime's volatility (smoothed) with a
    persistent premium or discount."""
    smoothed, noise = _implied_terms(rng, regime_vol)
    return np.clip(1.08 * profile.volatility * np.array(smoothed) * np.exp(np.array(noise)), 0.06, 2.5)


def _implied_terms(rng: np.random.Generator, regime_vol: np.ndarray) -> tuple[list[float], list[float]]:
    """The IV's two factors: the regime's volatility multiplier smoothed, and the log premium."""
    n = len(regime_vol)
    smoothed = [0.0] * n
    noise = [0.0] * n
    level_vol = float(regime_vol[0])
    level_noise = 0.0
    innovations = rng.normal(0.0, 0.015, n).tolist()
    regime_list = regime_vol.tolist()
    for i in range(n):
        level_vol += 0.08 * (regime_list[i] - level_vol)
        level_noise = 0.96 * level_noise + innovations[i]
        smoothed[i] = level_vol
        noise[i] = level_noise
    return smoothed, noise


def _anchor(profile: SymbolProfile, positions: np.ndarray) -> np.ndarray:
    """The log price the walk reverts to: the profile's price on REFERENCE_SESSION, +6 % a year."""
    reference = _sessions().last_index(REFERENCE_SESSION)
    return math.log(profile.price) + 0.06 * (positions - reference) / 252


@functools.cache
def _series(symbol: str) -> _Series:
    """Generate a UNIVERSE symbol's whole walk over the span: regimes, mean reversion, earnings jumps."""
    profile = UNIVERSE[symbol]
    n = len(_sessions().dates)
    rng = np.random.default_rng(_seed("walk", symbol))
    regime_drift, regime_vol = _regimes(rng, n, profile.is_etf)
    sigma = profile.volatility * regime_vol / math.sqrt(252)
    shocks = rng.standard_t(5, n) / math.sqrt(5 / 3)
    jumps, volume_boost = _jumps(rng, _reports(symbol), 0, n)

    # Mean reversion to an anchor keeps prices near the profile's level over two decades.
    kappa = 0.01
    steps = (regime_drift / 252 - 0.5 * sigma**2 + sigma * shocks + jumps).tolist()
    anchor_list = _anchor(profile, np.arange(n)).tolist()
    log_close = [0.0] * n
    level = anchor_list[0]
    floor = math.log(1.0)
    for i in range(n):
        level = max(floor, level + kappa * (anchor_list[i] - level) + steps[i])
        log_close[i] = level
    closes = np.exp(np.array(log_close))
    previous = np.concatenate(([closes[0]], closes[:-1]))
    candles = _candles(rng, profile, closes, previous, sigma, jumps, volume_boost)
    base_iv = _implied(rng, profile, regime_vol)
    v = candles.v.tolist()
    return _Series(
        opens=candles.o.tolist(),
        highs=candles.h.tolist(),
        lows=candles.low.tolist(),
        closes=candles.c.tolist(),
        volumes=v,
        vwaps=candles.vw.tolist(),
        transactions=[max(1, int(x / candles.trade_size)) for x in v],
        base_iv=base_iv.tolist(),
    )


def _bar(series: _Series, sessions: _Sessions, i: int) -> dict[str, Any]:
    return {
        "o": series.opens[i],
        "h": series.highs[i],
        "l": series.lows[i],
        "c": series.closes[i],
        "v": series.volumes[i],
        "vw": series.vwaps[i],
        "t": sessions.midnight_ms[i],
        "n": series.transactions[i],
    }


# --- generated symbols: the walk one calendar year at a time ------------------------------
#
# A generated symbol's walk is the same model as above (regimes, fat-tailed shocks, earnings
# jumps, candles and IV from the same helpers) cut into calendar years that need nothing from
# each other: the log close of each year's last session is drawn on its own (the anchor plus
# the mean reversion's stationary spread), and a year's path is a bridge between the two ends.
# So one session of one symbol costs one year's generation (~0.3 ms) and no symbol is kept
# whole: 5,000 symbols of grouped daily cost 5,000 years, not 5,000 two-decade walks.

# The stationary spread of the log price around its anchor, per unit of annual volatility
# (the AR(1) above: kappa 0.01, daily shocks of volatility / sqrt(252)).
_LEVEL_SPREAD = 1 / math.sqrt(252 * (1 - 0.99**2))
# The same for the IV's log multiplier (the regimes' log-normal spread dominates its premium's).
_IV_SPREAD = 0.18
_BLOCK_ROWS = ("o", "h", "l", "c", "v", "vw", "n", "base_iv")
_CLOSE_ROW, _IV_ROW = _BLOCK_ROWS.index("c"), _BLOCK_ROWS.index("base_iv")


@dataclass(frozen=True, slots=True)
class _Block:
    """One calendar year of a generated walk: sessions first … first + len - 1, one row per field."""

    first: int
    rows: np.ndarray  # shape (len(_BLOCK_ROWS), sessions), float64


@functools.cache
def _year_span(year: int) -> tuple[int, int]:
    """Session indices [first, end) of a calendar year."""
    dates = _sessions().dates
    return bisect_left(dates, date(year, 1, 1)), bisect_left(dates, date(year + 1, 1, 1))


@functools.lru_cache(maxsize=32768)
def _year_end_log(symbol: str, year: int) -> float:
    """The log close of the year's last session (for the year before the span: the walk's start)."""
    profile = _GENERATED[symbol]
    last = _year_span(year)[1] - 1
    anchor = math.log(profile.price) + 0.06 * (last - _sessions().last_index(REFERENCE_SESSION)) / 252
    noise = random.Random(_seed("year_end", symbol, year)).gauss(0.0, profile.volatility * _LEVEL_SPREAD)
    return max(0.0, anchor + noise)


@functools.lru_cache(maxsize=32768)
def _year_end_iv_log(symbol: str, year: int) -> float:
    """The log of the IV's multiplier (of 1.08 × the volatility) on the year's last session."""
    return random.Random(_seed("year_end_iv", symbol, year)).gauss(0.0, _IV_SPREAD)


def _bridged_iv(symbol: str, year: int, smoothed: list[float], noise: list[float]) -> np.ndarray:
    """The year's IV without the earnings premium, bent to start where last year's ended and to
    end where next year's starts."""
    profile = _GENERATED[symbol]
    raw = np.log(np.array(smoothed)) + np.array(noise)
    weights = np.arange(1, len(raw) + 1) / len(raw)
    start, stop = _year_end_iv_log(symbol, year - 1), _year_end_iv_log(symbol, year)
    bent = raw + (start - raw[0]) * (1 - weights) + (stop - raw[-1]) * weights
    return np.clip(1.08 * profile.volatility * np.exp(bent), 0.06, 2.5)


def _year_end_close(symbol: str, year: int) -> float:
    """The year's last close, exactly as its block has it (the walk's level, not yet in cents)."""
    return math.exp(_year_end_log(symbol, year))


@functools.lru_cache(maxsize=8192)
def _block(symbol: str, year: int) -> _Block:
    """Generate one calendar year of a generated symbol's walk, bridged between its year ends."""
    profile = _GENERATED[symbol]
    first, end = _year_span(year)
    n = end - first
    rng = np.random.default_rng(_seed("walk", symbol, year))
    regime_drift, regime_vol = _regimes(rng, n, profile.is_etf)
    sigma = profile.volatility * regime_vol / math.sqrt(252)
    shocks = rng.standard_t(5, n) / math.sqrt(5 / 3)
    # The reports that can move this year: last year's fourth quarter and this year's first three.
    reports = (*_year_reports(symbol, year - 1, range(4, 5)), *_year_reports(symbol, year, range(1, 4)))
    jumps, volume_boost = _jumps(rng, reports, first, n)
    steps = regime_drift / 252 - 0.5 * sigma**2 + sigma * shocks + jumps
    start, stop = _year_end_log(symbol, year - 1), _year_end_log(symbol, year)
    path = start + np.cumsum(steps)
    path -= np.arange(1, n + 1) / n * (path[-1] - stop)
    closes = np.exp(np.maximum(path, 0.0))  # the floor: $1
    closes[-1] = _year_end_close(symbol, year)
    previous = np.concatenate(([_year_end_close(symbol, year - 1)], closes[:-1]))
    candles = _candles(rng, profile, closes, previous, sigma, jumps, volume_boost)
    transactions = np.maximum(1.0, np.floor(candles.v / candles.trade_size))
    base_iv = _bridged_iv(symbol, year, *_implied_terms(rng, regime_vol))
    rows = np.vstack(
        (candles.o, candles.h, candles.low, candles.c, candles.v, candles.vw, transactions, base_iv)
    )
    return _Block(first=first, rows=rows)


def _block_of(symbol: str, i: int) -> tuple[_Block, int]:
    """The block holding session `i` of a generated symbol, and `i`'s column in it."""
    block = _block(symbol, _sessions().dates[i].year)
    return block, i - block.first


def _block_bar(row: list[float], midnight_ms: int) -> dict[str, Any]:
    o, h, low, c, v, vw, n, _ = row
    return {"o": o, "h": h, "l": low, "c": c, "v": v, "vw": vw, "t": midnight_ms, "n": int(n)}


# --- the walk, whichever kind of symbol ----------------------------------------------------


def _bar_at(symbol: str, i: int) -> dict[str, Any]:
    """The walk's bar of session `i` (a new dict)."""
    sessions = _sessions()
    if symbol in UNIVERSE:
        return _bar(_series(symbol), sessions, i)
    block, column = _block_of(symbol, i)
    return _block_bar(block.rows[:, column].tolist(), sessions.midnight_ms[i])


def _close(symbol: str, i: int) -> float:
    """The walk's close of session `i` (in cents)."""
    if symbol in UNIVERSE:
        return _series(symbol).closes[i]
    dates = _sessions().dates
    if i + 1 < len(dates) and dates[i + 1].year != dates[i].year:  # a year's last: no block needed
        return float(np.round(_year_end_close(symbol, dates[i].year), 2))
    block, column = _block_of(symbol, i)
    return float(block.rows[_CLOSE_ROW, column])


def _base_iv(symbol: str, i: int) -> float:
    """The model's ATM ~30-day IV of session `i`, without the earnings premium."""
    if symbol in UNIVERSE:
        return _series(symbol).base_iv[i]
    block, column = _block_of(symbol, i)
    return float(block.rows[_IV_ROW, column])


def _bars_between(symbol: str, first: int, last: int) -> list[dict[str, Any]]:
    """The walk's bars of sessions first … last (new dicts)."""
    sessions = _sessions()
    if symbol in UNIVERSE:
        series = _series(symbol)
        return [_bar(series, sessions, i) for i in range(first, last + 1)]
    bars: list[dict[str, Any]] = []
    i = first
    while i <= last:
        block, column = _block_of(symbol, i)
        stop = min(last + 1, block.first + block.rows.shape[1])
        for offset, row in enumerate(block.rows[:, column : column + stop - i].T.tolist()):
            bars.append(_block_bar(row, sessions.midnight_ms[i + offset]))
        i = stop
    return bars


def _bar_window(today: date) -> tuple[int, int]:
    """Session indices of the bars served as of `today`: ~5 years and a month, up to today."""
    _check_today(today)
    sessions = _sessions()
    first = sessions.last_index(_years_before(today, BAR_YEARS) - timedelta(days=31)) + 1
    return first, sessions.last_index(today)


@functools.lru_cache(maxsize=512)
def _full_bars(symbol: str, today: date) -> tuple[dict[str, Any], ...]:
    """A UNIVERSE symbol's bars up to `today` (shared by every caller: copy before changing one)."""
    return tuple(_bars_between(symbol, *_bar_window(today)))


def _recent_bars(symbol: str, today: date, count: int | None) -> list[dict[str, Any]]:
    """The last `count` (None: all) bars up to `today`, new dicts; generated symbols' uncached."""
    if symbol in UNIVERSE:
        bars = _full_bars(symbol, today)
        return [dict(bar) for bar in (bars if count is None else bars[-count:])]
    first, last = _bar_window(today)
    return _bars_between(symbol, first if count is None else max(first, last - count + 1), last)


def _scaled(bar: dict[str, Any], factor: float) -> dict[str, Any]:
    """A new bar at `factor` times the prices and 1/`factor` times the volume (`bar` if 1)."""
    if factor == 1.0:
        return bar
    prices = {key: round(bar[key] * factor, 4) for key in ("o", "h", "l", "c", "vw")}
    return {**bar, **prices, "v": float(round(bar["v"] / factor))}


def session_of(timestamp_ms: int) -> date:
    """The New York date of a bar's `t` (Unix ms)."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=NEW_YORK).date()


def _split_view(
    symbol: str, today: date, bars: list[dict[str, Any]], *, adjusted: bool, live: Sequence[Split]
) -> list[dict[str, Any]]:
    """The walk's bars as the provider shows them: adjusted as of `today`, or raw per session."""
    own = of_symbol(symbol, live)
    if not any(split.ticker == symbol for split in (*HISTORY, *own)):
        return bars
    if adjusted:
        factor = level(symbol, today, own)
        return [_scaled(bar, factor) for bar in bars]
    return [_scaled(bar, level(symbol, session_of(bar["t"]), own)) for bar in bars]


def _partial(bar: dict[str, Any], fraction: float) -> dict[str, Any]:
    """Today's bar as it stands `fraction` of the way through the session."""
    o, h, low, c = bar["o"], bar["h"], bar["l"], bar["c"]
    close = round(o + (c - o) * fraction, 2)
    high = round(max(o, close) + (h - max(o, c)) * fraction, 2)
    low_now = round(min(o, close) - (min(o, c) - low) * fraction, 2)
    high, low_now = max(high, o, close), min(low_now, o, close)
    return {
        "o": o,
        "h": high,
        "l": low_now,
        "c": close,
        "v": float(round(bar["v"] * fraction)),
        "vw": round((high + low_now + close) / 3, 4),
        "t": bar["t"],
        "n": max(1, int(bar["n"] * fraction)),
    }


def spot_at(
    symbol: str, today: date, now: datetime | None = None, *, splits: Sequence[Split] = ()
) -> float | None:
    """The underlying's price at that moment: what its (adjusted) bars show, partial in session."""
    bars = daily_bars(symbol, today, now, splits=splits, last=1)
    return float(bars[-1]["c"]) if bars else None


def walk_close(symbol: str, day: date) -> float:
    """The walk's close on the last session on or before `day` (the first session's, before the
    span): the price level no split has touched, for schedules priced over the whole span."""
    return _close(symbol, max(0, _sessions().last_index(day)))


def daily_bars(
    symbol: str,
    today: date,
    now: datetime | None = None,
    *,
    adjusted: bool = True,
    splits: Sequence[Split] = (),
    last: int | None = None,
) -> list[dict[str, Any]]:
    """Return ~5 years of daily bars (wire rows {o,h,l,c,v,vw,t,n}) up to `today`, ascending.

    With `now` (aware) on `today`'s session: before the open there is no bar for today,
    during the session today's bar is partial. Without `now` today's bar is complete.
    Adjusted for the splits executed by `today` (`HISTORY` and the live `splits`), or raw
    (each session at its own price level) with `adjusted=False`. Unknown symbols have no bars.
    `last` (≥ 1) returns only the last bars, as `daily_bars(...)[-last:]` would, built alone.
    """
    if profile_of(symbol) is None:
        return []
    if last is not None and last < 1:
        raise ValueError("last must be at least 1")
    bars = _recent_bars(symbol, today, None if last is None else last + 1)  # one more: the pop
    sessions = _sessions()
    position = sessions.index.get(today)
    if now is not None and position is not None and now.astimezone(NEW_YORK).date() == today:
        opens_at, closes_at = sessions.opens[position], sessions.closes[position]
        if now < opens_at:
            bars.pop()
        elif now < closes_at:
            fraction = (now - opens_at) / (closes_at - opens_at)
            bars[-1] = _partial(bars[-1], max(0.01, fraction))
    bars = _split_view(symbol, today, bars, adjusted=adjusted, live=splits)
    return bars if last is None else bars[-last:]


def session_hours(day: date) -> tuple[datetime, datetime] | None:
    """The session's open and close (aware, UTC), or None when `day` is not an NYSE session."""
    sessions = _sessions()
    position = sessions.index.get(day)
    if position is None:
        return None
    return sessions.opens[position], sessions.closes[position]


def grouped_daily(
    session: date,
    today: date,
    now: datetime | None = None,
    *,
    adjusted: bool = True,
    splits: Sequence[Split] = (),
    symbols: Iterable[str] = UNIVERSE,
) -> list[dict[str, Any]]:
    """Every symbol's bar of `session` as grouped daily answers it: `T` added, `t` at 16:00
    New York (the aggregate window's end, not the bar's start as in per-symbol aggs).

    [] for a day that is no session, or a session not completed as of (`today`, `now`).
    `symbols` are the symbols served (default UNIVERSE), in the order answered.
    """
    _check_today(today)
    sessions = _sessions()
    position = sessions.index.get(session)
    if position is None or session > today:
        return []
    on_today = session == today and now is not None and now.astimezone(NEW_YORK).date() == today
    if on_today and now is not None and now < sessions.closes[position]:
        return []  # today's session is not complete yet
    end_ms = int(datetime.combine(session, time(16), tzinfo=NEW_YORK).timestamp()) * 1000
    rows = []
    for symbol in symbols:
        bar = _bar_at(symbol, position)
        own = of_symbol(symbol, splits)
        factor = level(symbol, today if adjusted else session, own)
        rows.append({"T": symbol, **_scaled(bar, factor), "t": end_ms})
    return rows


# --- implied volatility model ------------------------------------------------------------


def _next_reaction(symbol: str, after: int) -> tuple[date, float] | None:
    """The first earnings reaction session after session index `after`, and its move."""
    sessions = _sessions()
    for report in _reports_from(symbol, sessions.dates[max(0, after)]):
        position = _reaction_index(report)
        if position > after and position < len(sessions.dates):
            return sessions.dates[position], report.move
    return None


def _term_base(base30: float, long_run: float, years: float) -> float:
    ratio = min(1.8, (30 / 365 / max(years, 1 / 365)) ** 0.4)
    return max(0.05, long_run + (base30 - long_run) * ratio)


def atm_iv_on(symbol: str, session: date) -> float:
    """Return the model's ATM ~30-day IV on `session` (or the last session before it)."""
    _profile(symbol)  # KeyError for an unknown symbol
    sessions = _sessions()
    position = sessions.last_index(session)
    if position < 0:
        raise ValueError(f"{session} is before the sandbox calendar starts")
    base = _base_iv(symbol, position)
    event = _next_reaction(symbol, position)
    if event is not None and event[0] <= sessions.dates[position] + timedelta(days=30):
        return round(math.sqrt(base**2 + event[1] ** 2 * 365 / 30), 6)
    return round(base, 6)


# --- option chains -----------------------------------------------------------------------

# Strike steps are "nice" numbers; the step near the money keeps spot/step at least this big.
_STEP_CHOICES = (0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0)
_STRIKES_PER_SPOT: dict[Liquidity, float] = {"liquid": 75, "normal": 40, "illiquid": 20}
_COARSER = {0.5: 1.0, 1.0: 2.5, 2.5: 5.0, 5.0: 10.0, 10.0: 25.0, 25.0: 50.0, 50.0: 100.0}
_SPREAD: dict[Liquidity, float] = {"liquid": 0.015, "normal": 0.04, "illiquid": 0.10}
_ACTIVITY: dict[Liquidity, float] = {"liquid": 1.0, "normal": 0.15, "illiquid": 0.01}
_SKEW = -0.11
_SMILE = 0.05


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + months
    return total // 12, total % 12 + 1


def expirations(symbol: str, today: date) -> list[date]:
    """Return the listed expiration dates on `today`: weeklies, monthlies, quarterlies, LEAPS."""
    profile = _profile(symbol)
    sessions = _sessions()
    wanted: set[date] = set()
    liquidity = profile.liquidity
    weekly_days = {"liquid": 56, "normal": 28, "illiquid": 0}[liquidity]
    monthly_days = {"liquid": 366, "normal": 275, "illiquid": 190}[liquidity]
    quarterly_days = {"liquid": 731, "normal": 460, "illiquid": 370}[liquidity]
    leaps_days = {"liquid": 915, "normal": 915, "illiquid": 0}[liquidity]

    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    while (friday - today).days <= weekly_days:
        wanted.add(friday)
        if symbol in DAILY_EXPIRY_SYMBOLS and (friday - today).days <= 21:
            wanted.update(friday - timedelta(days=back) for back in (2, 4))
        friday += timedelta(days=7)
    for months in range(0, 32):
        year, month = _add_months(today.year, today.month, months)
        third = _third_friday(year, month)
        days = (third - today).days
        quarterly = month in (3, 6, 9, 12) and days <= quarterly_days
        leaps = month == 1 and days <= leaps_days
        if days <= monthly_days or quarterly or leaps:
            wanted.add(third)
    # An expiry on a holiday moves to the session before (e.g. Juneteenth on a third Friday).
    listed = {sessions.on_or_before(day) for day in wanted}
    return sorted(day for day in listed if day >= today)


def _strikes(spot: float, years: float, volatility: float, liquidity: Liquidity) -> list[int]:
    """Strikes in thousandths of a dollar: dense near the money, sparser out to ±50 %."""
    step = max((s for s in _STEP_CHOICES if spot / s >= _STRIKES_PER_SPOT[liquidity]), default=0.5)
    caps = {"liquid": (0.2, 0.5), "normal": (0.18, 0.45), "illiquid": (0.15, 0.3)}[liquidity]
    width = min(caps[1], max(caps[0], 2.2 * volatility * math.sqrt(years)))
    bands = ((0.1, step), (0.25, _COARSER[step]), (width, _COARSER[_COARSER[step]]))
    strikes: set[int] = set()
    for band, band_step in bands:
        reach = min(band, width)
        unit = round(band_step * 1000)
        low = math.ceil(spot * (1 - reach) * 1000 / unit) * unit
        high = math.floor(spot * (1 + reach) * 1000 / unit) * unit
        strikes.update(range(max(unit, low), high + 1, unit))
    return sorted(strikes)


def _number(value: float) -> float | int:
    """Strikes as the provider writes them: 150, 272.5."""
    return int(value) if value == int(value) else value


@functools.lru_cache(maxsize=256)
def _chain(symbol: str, today: date, spot: float, factor: float = 1.0) -> tuple[dict[str, Any], ...]:
    """A UNIVERSE symbol's chain priced at `spot`: the underlying's price at the moment it is
    asked for, one random stream over every contract.

    `factor` is the symbol's split level as of today (see `splits.level`): yesterday's close,
    which prices the contracts' previous close, is on the same (adjusted) scale as `spot`.
    """
    pricing = _pricing(symbol, today, spot, factor)
    rng = random.Random(_seed("chain", symbol, today.isoformat()))
    records = [record for expiry in expirations(symbol, today) for record in _expiry(pricing, rng, expiry)]
    records.sort(key=lambda record: record["details"]["ticker"])
    return tuple(records)


@functools.lru_cache(maxsize=64)
def _generated_expiry(
    symbol: str, today: date, spot: float, factor: float, expiry: date
) -> tuple[dict[str, Any], ...]:
    """A generated symbol's contracts of one expiry, on their own random stream: a request for
    some expiries prices only those (a generated chain is its expiries' records, in order)."""
    pricing = _pricing(symbol, today, spot, factor)
    rng = random.Random(_seed("chain", symbol, today.isoformat(), expiry.isoformat()))
    return tuple(sorted(_expiry(pricing, rng, expiry), key=lambda record: record["details"]["ticker"]))


@dataclass(frozen=True, slots=True)
class _Pricing:
    """What every contract of a chain is priced from, as of (symbol, today, spot, factor)."""

    profile: SymbolProfile
    today: date
    spot: float
    previous_spot: float  # yesterday's close, on today's split level
    previous_gap: float  # years from yesterday's close to today's
    close_ns: int
    day_ns: int
    base30: float
    event: tuple[date, float] | None  # the next earnings reaction and its move


def _pricing(symbol: str, today: date, spot: float, factor: float) -> _Pricing:
    _check_today(today)
    sessions = _sessions()
    position = sessions.last_index(today)
    previous_spot = _close(symbol, position - 1)
    if factor != 1.0:
        previous_spot = round(previous_spot * factor, 4)
    return _Pricing(
        profile=_profile(symbol),
        today=today,
        spot=spot,
        previous_spot=previous_spot,
        previous_gap=max(1, (sessions.dates[position] - sessions.dates[position - 1]).days) / 365,
        close_ns=int(sessions.closes[position].timestamp()) * 1_000_000_000,
        day_ns=sessions.midnight_ms[position] * 1_000_000,
        base30=_base_iv(symbol, position),
        event=_next_reaction(symbol, position),
    )


def _expiry(pricing: _Pricing, rng: random.Random, expiry: date) -> list[dict[str, Any]]:
    """The snapshot records of one expiry's contracts, strike by strike, call then put."""
    profile, spot, event = pricing.profile, pricing.spot, pricing.event
    liquidity = profile.liquidity
    skew = _SKEW * (1.6 if profile.is_etf else 1.0)
    years = max((expiry - pricing.today).days, 0.5) / 365
    base = _term_base(pricing.base30, profile.volatility * 1.05, years)
    event_variance = event[1] ** 2 / years if event and event[0] <= expiry else 0.0
    is_monthly = expiry == _sessions().on_or_before(_third_friday(expiry.year, expiry.month))
    expiry_weight = (1.0 if is_monthly else 0.45) * math.exp(-years / 1.2)
    records: list[dict[str, Any]] = []
    for strike_milli in _strikes(spot, years, base, liquidity):
        strike = strike_milli / 1000
        moneyness = max(-2.5, min(2.5, math.log(strike / spot) / math.sqrt(max(years, 1 / 52))))
        smile = base * (1 + skew * moneyness + _SMILE * moneyness**2)
        iv = math.sqrt(max(0.05, smile) ** 2 + event_variance)
        roundness = 1.6 if strike_milli % 5000 == 0 else 1.0
        for contract_type in ("call", "put"):
            records.append(
                _contract(
                    rng=rng,
                    ticker=occ.build(profile.option_root, expiry, contract_type, strike),
                    symbol=profile.symbol,
                    contract_type=contract_type,
                    expiry_iso=expiry.isoformat(),
                    strike=strike,
                    years=years,
                    iv=iv,
                    spot=spot,
                    previous_spot=pricing.previous_spot,
                    previous_years=years + pricing.previous_gap,
                    moneyness=moneyness,
                    liquidity=liquidity,
                    interest=_ACTIVITY[liquidity] * expiry_weight * roundness * math.exp(-1.2 * moneyness**2),
                    close_ns=pricing.close_ns,
                    day_ns=pricing.day_ns,
                )
            )
    return records


def _contract(
    *,
    rng: random.Random,
    ticker: str,
    symbol: str,
    contract_type: Literal["call", "put"],
    expiry_iso: str,
    strike: float,
    years: float,
    iv: float,
    spot: float,
    previous_spot: float,
    previous_years: float,
    moneyness: float,
    liquidity: Liquidity,
    interest: float,
    close_ns: int,
    day_ns: int,
) -> dict[str, Any]:
    """One snapshot record in the provider's shape."""
    priced = black_scholes(
        spot=spot, strike=strike, years=years, rate=RATE, volatility=iv, contract_type=contract_type
    )
    before = black_scholes(
        spot=previous_spot,
        strike=strike,
        years=previous_years,
        rate=RATE,
        volatility=iv,
        contract_type=contract_type,
    )
    mid = max(0.01, priced.price)
    previous_close = max(0.01, round(before.price, 2))
    far = abs(moneyness)
    spread = max(0.01 if liquidity == "liquid" else 0.05, mid * _SPREAD[liquidity] * (1 + far))
    bid = max(0.0, round(mid - spread / 2, 2))
    ask = max(round(mid + spread / 2, 2), round(bid + 0.01, 2))
    open_interest = int(40_000 * interest * rng.lognormvariate(0, 0.6))
    volume = int(open_interest * rng.uniform(0.0, 0.4)) if open_interest else 0
    trade_price = round(min(ask, max(bid, mid + rng.uniform(-0.5, 0.5) * (ask - bid))), 2) or 0.01

    if volume:
        day = {
            "change": round(trade_price - previous_close, 4),
            "change_percent": round((trade_price - previous_close) / previous_close * 100, 4),
            "close": trade_price,
            "high": round(max(trade_price, previous_close, ask) * (1 + rng.uniform(0, 0.03)), 2),
            "low": round(
                min(trade_price, previous_close, bid or trade_price) * (1 - rng.uniform(0, 0.03)), 2
            ),
            "open": round((trade_price + previous_close) / 2, 2),
            "previous_close": previous_close,
            "volume": volume,
            "vwap": round((trade_price * 2 + previous_close) / 3, 4),
            "last_updated": day_ns,
        }
    else:
        day = {
            "change": 0,
            "change_percent": 0,
            "close": previous_close,
            "high": previous_close,
            "low": previous_close,
            "open": previous_close,
            "previous_close": previous_close,
            "volume": 0,
            "vwap": previous_close,
            "last_updated": day_ns,
        }
    break_even = strike + mid if contract_type == "call" else strike - mid
    record: dict[str, Any] = {
        "break_even_price": round(break_even, 4),
        "day": day,
        "details": {
            "contract_type": contract_type,
            "exercise_style": "american",
            "expiration_date": expiry_iso,
            "shares_per_contract": 100,
            "strike_price": _number(strike),
            "ticker": ticker,
        },
    }
    deep = abs(priced.delta) >= 0.985
    draw = rng.random()
    if deep and draw < 0.5:
        if draw < 0.12:
            record["greeks"] = {}  # the provider sometimes sends an empty object
    else:
        record["greeks"] = {
            "delta": round(priced.delta, 6),
            "gamma": round(priced.gamma, 6),
            "theta": round(priced.theta, 6),
            "vega": round(priced.vega, 6),
        }
        record["implied_volatility"] = round(iv, 6)
    quote_draw = rng.random()
    no_quote = quote_draw < (0.15 if liquidity == "illiquid" and far > 1.2 else 0.02)
    if not no_quote:
        quote: dict[str, Any] = {
            "ask": ask,
            "ask_size": rng.randint(1, 60 if liquidity == "illiquid" else 400),
            "bid": bid,
            "bid_size": rng.randint(1, 60 if liquidity == "illiquid" else 400),
            "last_updated": close_ns - rng.randint(0, 900) * 1_000_000_000,
            "midpoint": round((bid + ask) / 2, 4),
            "timeframe": "REAL-TIME",
        }
        if bid > 0 and quote_draw > 0.985:
            # A bid-only quote: the ask side empty (0) or missing altogether.
            if quote_draw > 0.9925:
                del quote["ask"]
            else:
                quote["ask"] = 0
            quote["ask_size"] = 0
            quote["midpoint"] = round(bid / 2, 4)
        record["last_quote"] = quote
    if volume or open_interest:
        record["last_trade"] = {
            "conditions": [209],
            "exchange": rng.choice((300, 302, 303, 304, 308, 312, 316, 322)),
            "price": trade_price if volume else previous_close,
            "sip_timestamp": (close_ns if volume else day_ns) - rng.randint(60, 20_000) * 1_000_000_000,
            "size": rng.randint(1, 50),
            "timeframe": "REAL-TIME",
        }
    record["open_interest"] = open_interest
    record["underlying_asset"] = {
        "change_to_break_even": round(break_even - spot, 4),
        "last_updated": close_ns,
        "price": spot,
        "ticker": symbol,
        "timeframe": "REAL-TIME",
    }
    return record


def _copy(record: dict[str, Any]) -> dict[str, Any]:
    return {key: dict(value) if isinstance(value, dict) else value for key, value in record.items()}


def chain_records(
    symbol: str,
    today: date,
    spot: float | None = None,
    *,
    splits: Sequence[Split] = (),
    expiries: Iterable[date] | None = None,
) -> tuple[dict[str, Any], ...]:
    """The cached chain records at `spot` (default: today's close), sorted by ticker; shared,
    so callers must not mutate them. Live `splits` put yesterday's close on today's scale.

    `expiries` keeps only those expiries' contracts: a generated symbol prices no others.
    """
    if profile_of(symbol) is None:
        return ()
    at = spot if spot is not None else spot_at(symbol, today, splits=splits)
    factor = level(symbol, today, of_symbol(symbol, splits))
    if at is None:
        return ()
    if symbol in UNIVERSE:
        records = _chain(symbol, today, at, factor)
        if expiries is None:
            return records
        wanted = {expiry.isoformat() for expiry in expiries}
        return tuple(r for r in records if r["details"]["expiration_date"] in wanted)
    listed = expirations(symbol, today)
    chosen = listed if expiries is None else sorted(set(expiries) & set(listed))
    return tuple(
        record for expiry in chosen for record in _generated_expiry(symbol, today, at, factor, expiry)
    )


def chain(
    symbol: str, today: date, now: datetime | None = None, *, splits: Sequence[Split] = ()
) -> list[dict[str, Any]]:
    """Return every contract's snapshot record at that moment (wire shape), sorted by ticker."""
    spot = spot_at(symbol, today, now, splits=splits)
    return [_copy(record) for record in chain_records(symbol, today, spot, splits=splits)]


# --- earnings ----------------------------------------------------------------------------


def _visible_reports(symbol: str, today: date, between: tuple[date, date] | None = None) -> list[_Report]:
    """Reports from five years back to the next two upcoming ones, newest first; only those
    dated within `between` (inclusive) when given, found without going through the others."""
    if profile_of(symbol) is None:
        return []
    _check_today(today)
    oldest = _years_before(today, BAR_YEARS)
    low, high = between if between is not None else (oldest, SPAN_END)
    past: list[_Report] = []
    upcoming: list[_Report] = []
    for report in _reports_from(symbol, min(max(oldest, low), today)):  # oldest first
        if report.day > high:
            break
        if report.day >= today:
            upcoming.append(report)
            if len(upcoming) == 2:
                break
        elif report.day >= oldest:
            past.append(report)
    return [report for report in reversed(past + upcoming) if report.day >= low]


def _per_share(value: float, factor: float) -> float:
    """Earnings per share on the split level of the prices (as FMP restates them)."""
    return value if factor == 1.0 else round(value * factor, 2)


def earnings(
    symbol: str, today: date, *, splits: Sequence[Split] = (), between: tuple[date, date] | None = None
) -> list[dict[str, Any]]:
    """Return FMP `/stable/earnings` rows, newest first; upcoming reports have null actuals.

    `between` (inclusive dates) keeps only the rows dated within it, as the calendar wants them.
    """
    rows = []
    factor = level(symbol, today, of_symbol(symbol, splits))
    for report in _visible_reports(symbol, today, between):
        reported = report.day < today
        rows.append(
            {
                "symbol": symbol,
                "date": report.day.isoformat(),
                "epsActual": _per_share(report.eps_actual, factor) if reported else None,
                "epsEstimated": _per_share(report.eps_estimated, factor),
                "revenueActual": report.revenue_actual if reported else None,
                "revenueEstimated": report.revenue_estimated,
                "lastUpdated": (min(today, report.day + timedelta(days=1))).isoformat(),
            }
        )
    return rows


def legacy_earnings(symbol: str, today: date, *, splits: Sequence[Split] = ()) -> list[dict[str, Any]]:
    """Return FMP's legacy `/api/v3/historical/earning_calendar` rows, newest first."""
    rows = []
    factor = level(symbol, today, of_symbol(symbol, splits))
    for report in _visible_reports(symbol, today):
        reported = report.day < today
        rows.append(
            {
                "date": report.day.isoformat(),
                "symbol": symbol,
                "eps": _per_share(report.eps_actual, factor) if reported else None,
                "epsEstimated": _per_share(report.eps_estimated, factor),
                "time": "amc" if report.after_close else "bmo",
                "revenue": report.revenue_actual if reported else None,
                "revenueEstimated": report.revenue_estimated,
                "fiscalDateEnding": report.fiscal_end.isoformat(),
                "updatedFromDate": (min(today, report.day + timedelta(days=1))).isoformat(),
            }
        )
    return rows
