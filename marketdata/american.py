"""American options on a stock paying discrete cash dividends: value, greeks, implied volatility (pure).

US equity options are American, and deep in the money, where a provider most often sends no IV
or greeks, early exercise is worth most; `marketdata.pricing` is European. `option_analytics`
fills those gaps with this model.

Method: a trinomial lattice in log price (Boyle 1986) drifting at the risk-neutral mean, so its
branch weights are 1/6, 2/3, 1/6 (nodes σ√(3Δt) apart) at any volatility, with a step at each
ex-date. There the stock drops by the cash: the value just before is the value just after at
S − D, interpolated quadratically between nodes (Vellekoop & Nieuwenhuis 2006), and exercise is
tried at the cum-dividend price. A put may be exercised at any step; its last step is
Black-Scholes, which smooths the strike's kink (Broadie & Detemple 1996). A call (r ≥ 0) is only
worth exercising just before an ex-date (Merton 1973): it is Black-Scholes from the last one to
expiry and rolls between them in one convolution each. Starting a step before today gives today
three nodes: delta and gamma are their differences, theta follows from the Black-Scholes
equation (true between ex-dates), vega is a difference over ±1 vol point. With no ex-date before
expiry a call (r ≥ 0), or a put (r ≤ 0), is `marketdata.pricing`'s Black-Scholes exactly.

Accuracy against QuantLib (CRR binomial, 1,000 steps, without dividends; finite differences,
400 x 400, with them) on 504 cases — calls and puts, 7–730 days, strikes 50–150 % of spot, vol
15–90 %, r 0–5 %, quarterly dividends of 0.5–1.5 % of spot: wherever an IV can be told (time
value ≥ $0.05, vega ≥ $0.02 a vol point) the IV solved from QuantLib's price is within 0.0025
of the true one and delta at the true volatility within 0.005
(tests/marketdata/test_american_accuracy.py asserts 0.005 and 0.01, and prints the margins).

Dividends are (years until the ex-date, cash per share); those at or beyond expiry, today or
before, or not positive, are ignored. Units are `marketdata.pricing`'s: volatility an annualised
fraction, theta per calendar day, vega per vol point, prices per share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from itertools import pairwise
from typing import Literal

import numpy as np

from marketdata.pricing import IV_LOWER, IV_UPPER, BlackScholes, black_scholes, implied_volatility

Dividends = Sequence[tuple[float, float]]  # (years until the ex-date, cash per share)
ExDividends = tuple[tuple[float, float], ...]  # those inside the option's life, soonest first

STEPS = 100  # the lattice that values: the accuracy above is measured at this size
COARSE_STEPS = 25  # the lattice that finds an IV's neighbourhood; STEPS then settles it
_VEGA_BUMP = 0.01  # vega compares volatilities this far apart
_MAX_ITERATIONS = 60
_FINE_ITERATIONS = 8  # fine-lattice runs a solve may take before giving up
_erf = np.frompyfunc(math.erf, 1, 1)


def dividends_in_years(
    dividends: Sequence[tuple[date, float]], *, today: date, expiration: date
) -> list[tuple[float, float]]:
    """(ex-date, cash) going ex after `today`, before `expiration`, as (years = days / 365, cash)."""
    return [((ex - today).days / 365.0, cash) for ex, cash in dividends if today < ex < expiration]


def _ex_dividends(dividends: Dividends, years: float) -> ExDividends:
    merged: dict[float, float] = {}
    for when, cash in dividends:
        if 0.0 < when < years and cash > 0 and math.isfinite(cash):
            merged[when] = merged.get(when, 0.0) + cash
    return tuple(sorted(merged.items()))


def _is_european(call: bool, rate: float, ex: ExDividends) -> bool:
    """Whether early exercise is never worth it, so Black-Scholes is the American value."""
    return not ex and (rate >= 0 if call else rate <= 0)


@dataclass(frozen=True, slots=True)
class _Grid:
    """The time steps (uniform, plus one at each ex-date) and their discounted branch weights,
    which do not depend on the volatility (nodes are σ√(3 Δt_max) apart): one grid per solve."""

    times: tuple[float, ...]  # each step's start, then expiry
    widest: float  # the longest step
    cash: dict[int, float]  # step → cash per share going ex at its start
    kernels: tuple[np.ndarray, ...]  # per step: discounted weights of the up, middle, down nodes
    rolls: tuple[np.ndarray, ...]  # per ex-date step: the kernels back to the one before, as one


@cache  # a count of steps in a row: at most STEPS of them
def _full_steps(count: int) -> np.ndarray:
    """The undiscounted weights of `count` full steps in a row: their convolution, by squaring."""
    if count == 0:
        return np.ones(1)
    half = np.convolve(_full_steps(count // 2), _full_steps(count // 2))
    return np.convolve(half, _kernel(1.0, 1.0)) if count % 2 else half


def _kernel(length: float, widest: float) -> np.ndarray:
    """A step's undiscounted up, middle and down weights (1/6, 2/3, 1/6 for a full step)."""
    share = length / (6.0 * widest)  # σ²Δt / (2 dx²), with dx² = 3σ² widest
    return np.array([share, 1.0 - 2.0 * share, share])


@lru_cache(maxsize=256)  # a chain's contracts of one expiration share their grids
def _grid(years: float, rate: float, ex: ExDividends, steps: int) -> _Grid:
    """`steps` uniform steps over the option's life, each ex-date a step's start (split or snapped)."""
    dt = years / steps
    cuts: dict[float, float] = {}  # where a step starts → cash going ex there (0 for none)
    for when, amount in ex:
        snapped = round(when / dt) * dt  # this close to a step's start, the ex-date is that start
        at = snapped if abs(when - snapped) <= dt * 1e-6 and snapped < years else when
        cuts[at] = cuts.get(at, 0.0) + amount
    starts = sorted({*(i * dt for i in range(steps)), *cuts})
    times = (*starts, years)
    dts = [dt if b - a > dt * (1 - 1e-9) else b - a for a, b in pairwise(times)]  # full steps: dt
    by_length = {length: math.exp(-rate * length) * _kernel(length, dt) for length in set(dts)}
    cash = {k: cuts[t] for k, t in enumerate(starts) if cuts.get(t)}
    rolls = []  # from each ex-date back to the one before (or today), as one kernel
    for start, end in zip([0, *cash], cash, strict=False):
        partial = [length for length in dts[start:end] if length != dt]
        kernel = _full_steps(end - start - len(partial))
        for length in partial:
            kernel = np.convolve(kernel, _kernel(length, dt))
        rolls.append(kernel * math.exp(-rate * (times[end] - times[start])))
    kernels = tuple(by_length[length] for length in dts)
    return _Grid(times=times, widest=dt, cash=cash, kernels=kernels, rolls=tuple(rolls))


def _black_scholes_at(
    spots: np.ndarray, strike: float, years: float, rate: float, volatility: float, call: bool
) -> np.ndarray:
    """Black-Scholes values at each node (the CDF taken within ten standard deviations of the
    strike: beyond, a node is worth its discounted intrinsic value to within rounding)."""
    discounted = strike * math.exp(-rate * years)
    values = np.maximum(spots - discounted if call else discounted - spots, 0.0)
    spread = volatility * math.sqrt(years)
    low, high = np.searchsorted(spots, strike * np.exp([-10.0 * spread, 10.0 * spread]))
    near = spots[low:high]
    if len(near):
        d1 = (np.log(near / strike) + (rate + 0.5 * volatility * volatility) * years) / spread
        cdf1 = 0.5 * (1.0 + np.asarray(_erf(d1 / math.sqrt(2.0)), dtype=float))
        cdf2 = 0.5 * (1.0 + np.asarray(_erf((d1 - spread) / math.sqrt(2.0)), dtype=float))
        call_values = near * cdf1 - discounted * cdf2
        values[low:high] = call_values if call else call_values - near + discounted  # put-call parity
    return values


def _ex_dividend(values: np.ndarray, spots: np.ndarray, cash: float) -> np.ndarray:
    """Values just before an ex-date from those just after: V(S) ← V(S − D), quadratic in S."""
    target = np.maximum(spots - cash, 0.0)
    # Newton's divided differences over the three nodes around each target.
    first = np.minimum(np.maximum(np.searchsorted(spots, target) - 1, 0), len(spots) - 3)
    slopes = (values[1:] - values[:-1]) / (spots[1:] - spots[:-1])
    curvatures = (slopes[1:] - slopes[:-1]) / (spots[2:] - spots[:-2])
    return values[first] + (target - spots[first]) * (
        slopes[first] + (target - spots[first + 1]) * curvatures[first]
    )


@dataclass(frozen=True, slots=True)
class _Terms:
    """An option's terms besides its volatility and expiry (which its grid has)."""

    spot: float
    strike: float
    rate: float
    call: bool


@dataclass(frozen=True, slots=True)
class _Today:
    """The lattice's three nodes today: spots, values, and whether the middle one is exercised."""

    spots: tuple[float, float, float]
    values: tuple[float, float, float]
    exercised: bool


def _lattice(terms: _Terms, volatility: float, grid: _Grid) -> _Today:
    """Roll the option back through the lattice to today's three nodes."""
    today, values = _roll(terms, volatility, grid, 1)
    intrinsic = max(terms.spot - terms.strike if terms.call else terms.strike - terms.spot, 0.0)
    (s0, s1, s2), (v0, v1, v2) = today.tolist(), values.tolist()
    return _Today(spots=(s0, s1, s2), values=(v0, v1, v2), exercised=v1 <= intrinsic + 1e-12)


def _roll(
    terms: _Terms, volatility: float, grid: _Grid, width: int, *, exercise_today: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Today's spots `width` nodes either side of the spot and their values (step k has 2(k + width) + 1);
    without `exercise_today`, the values of holding on today (`american_curve` exercises between nodes)."""
    spot, strike, rate, call = terms.spot, terms.strike, terms.rate, terms.call
    steps, times = len(grid.kernels), grid.times
    dx = volatility * math.sqrt(3.0 * grid.widest)
    drift = rate - 0.5 * volatility * volatility
    ladder = spot * np.exp(np.arange(-(steps + width), steps + width + 1) * dx)  # offsets, no drift
    centre = steps + width
    if rate >= 0 if call else rate <= 0:  # exercised just before ex-dates only (a put: never)
        events = sorted(grid.cash)
        last = events[-1]
        row = math.exp(drift * times[last]) * ladder[centre - last - width : centre + last + width + 1]
        values = _black_scholes_at(row, strike, times[-1] - times[last], rate, volatility, call)
        for index in range(len(events) - 1, -1, -1):
            k = events[index]
            row = math.exp(drift * times[k]) * ladder[centre - k - width : centre + k + width + 1]
            values = _ex_dividend(values, row, grid.cash[k])
            if call:
                np.maximum(values, row - strike, out=values)
            values = np.convolve(values, grid.rolls[index], "valid")
    else:  # exercised at any step: every row of spots, once
        spots = np.multiply.outer(np.exp(drift * np.array(times)), ladder)
        exercise = np.maximum(spots - strike if call else strike - spots, 0.0)
        last = steps - 1
        row = spots[last, centre - last - width : centre + last + width + 1]
        values = _black_scholes_at(row, strike, times[-1] - times[last], rate, volatility, call)
        for k in range(last, -1, -1):
            if k < last:
                values = np.correlate(values, grid.kernels[k], "valid")  # the kernel is symmetric
            nodes = slice(centre - k - width, centre + k + width + 1)
            if k in grid.cash:  # exercise just after the drop, or (below) just before it
                np.maximum(values, exercise[k, nodes], out=values)
                values = _ex_dividend(values, spots[k, nodes], grid.cash[k])
            if k or exercise_today:
                np.maximum(values, exercise[k, nodes], out=values)
    return ladder[centre - width : centre + width + 1], values


def _local(today: _Today, terms: _Terms, volatility: float) -> tuple[float, float, float, float]:
    """Price, delta, gamma and theta per calendar day at today's middle node."""
    (s0, s1, s2), (v0, v1, v2), rate = today.spots, today.values, terms.rate
    if today.exercised:  # worth its intrinsic value, which neither time nor a small move changes
        return v1, (1.0 if terms.call else -1.0), 0.0, 0.0
    up, down = (v2 - v1) / (s2 - s1), (v1 - v0) / (s1 - s0)
    delta = (up * (s1 - s0) + down * (s2 - s1)) / (s2 - s0)  # second order on uneven nodes
    gamma = 2.0 * (up - down) / (s2 - s0)
    theta_year = rate * v1 - rate * s1 * delta - 0.5 * (volatility * s1) ** 2 * gamma
    return v1, delta, gamma, theta_year / 365.0


def american_greeks(
    *,
    spot: float,
    strike: float,
    years: float,
    rate: float,
    volatility: float,
    contract_type: Literal["call", "put"],
    dividends: Dividends = (),
) -> BlackScholes:
    """Value an American option and its greeks (theta per calendar day, vega per vol point)."""
    if spot <= 0 or strike <= 0 or years <= 0 or volatility <= 0:
        raise ValueError("spot, strike, years and volatility must be positive")
    call, ex = contract_type == "call", _ex_dividends(dividends, years)
    if _is_european(call, rate, ex):
        european = {"spot": spot, "strike": strike, "years": years, "rate": rate, "volatility": volatility}
        return black_scholes(contract_type=contract_type, **european)
    terms, grid = _Terms(spot=spot, strike=strike, rate=rate, call=call), _grid(years, rate, ex, STEPS)
    bump = min(_VEGA_BUMP, 0.5 * volatility)
    down, middle, up = (
        _lattice(terms, vol, grid) for vol in (volatility - bump, volatility, volatility + bump)
    )
    price, delta, gamma, theta = _local(middle, terms, volatility)
    vega = (up.values[1] - down.values[1]) / (2.0 * bump) / 100.0
    return BlackScholes(price=price, delta=delta, gamma=gamma, theta=theta, vega=vega)


def _zero_volatility_value(
    spot: float, strike: float, years: float, rate: float, call: bool, ex: ExDividends
) -> float:
    """The value on a certain path, the floor an IV can be read above: the best discounted payoff
    of now, either side of an ex-date, or expiry (between those it is monotone in time)."""
    best, paid = max(spot - strike if call else strike - spot, 0.0), 0.0  # paid: dividends' PV
    for when, cash in (*ex, (years, 0.0)):
        discounted_strike = strike * math.exp(-rate * when)
        for stock in (spot - paid, spot - paid - cash * math.exp(-rate * when)):  # before, after
            best = max(best, stock - discounted_strike if call else discounted_strike - stock)
        paid += cash * math.exp(-rate * when)
    return best


def american_implied_volatility(
    *,
    price: float | None,
    spot: float,
    strike: float,
    years: float,
    rate: float,
    contract_type: Literal["call", "put"],
    dividends: Dividends = (),
) -> float | None:
    """Solve the American model for the volatility that reproduces `price` (per share).

    None when the inputs are unusable or no volatility in [1e-4, 5.0] reproduces the price: at
    or below what the option is worth at zero volatility (no time value to read an IV from),
    or at or above its upper bound (the spot for a call, the strike for a put).
    """
    terms = {"spot": spot, "strike": strike, "years": years, "rate": rate}
    solved = american_implied(price=price, contract_type=contract_type, dividends=dividends, **terms)
    return solved[0] if solved is not None else None


def american_implied(
    *,
    price: float | None,
    spot: float,
    strike: float,
    years: float,
    rate: float,
    contract_type: Literal["call", "put"],
    dividends: Dividends = (),
) -> tuple[float, BlackScholes] | None:
    """The implied volatility and the greeks there, in one solve (None as the IV would be).

    Secant steps on a 25-step lattice from Black-Scholes' IV find the root's neighbourhood; two
    100-step runs settle it, and the greeks are interpolated between them.
    """
    if price is None or not (price > 0 and math.isfinite(price)) or spot <= 0 or strike <= 0 or years <= 0:
        return None
    call, ex = contract_type == "call", _ex_dividends(dividends, years)
    if _is_european(call, rate, ex):
        european = {"spot": spot, "strike": strike, "years": years, "rate": rate}
        iv = implied_volatility(price=price, contract_type=contract_type, **european)
        if iv is None:
            return None
        return iv, black_scholes(volatility=iv, contract_type=contract_type, **european)
    floor = _zero_volatility_value(spot, strike, years, rate, call, ex)
    if not floor < price < (spot if call else strike):
        return None
    lattice = _Terms(spot=spot, strike=strike, rate=rate, call=call)
    guess, slope = _guess(price, lattice, years, ex)
    coarse = _coarse_root(price, lattice, _grid(years, rate, ex, COARSE_STEPS), guess, slope)
    return None if coarse is None else _fine_root(price, lattice, _grid(years, rate, ex, STEPS), *coarse)


def _guess(price: float, terms: _Terms, years: float, ex: ExDividends) -> tuple[float, float]:
    """Where the solve starts, and the price's slope there: Black-Scholes' on the escrowed spot."""
    escrowed = terms.spot - math.fsum(cash * math.exp(-terms.rate * when) for when, cash in ex)
    if escrowed <= 0:
        return 0.3, 1e-6 * terms.spot
    kind: Literal["call", "put"] = "call" if terms.call else "put"
    european = {"spot": escrowed, "strike": terms.strike, "years": years, "rate": terms.rate}
    iv = implied_volatility(price=price, contract_type=kind, **european)
    guess = min(max(iv, 0.05), 2.0) if iv is not None else 0.3
    slope = black_scholes(volatility=guess, contract_type=kind, **european).vega * 100.0
    return guess, max(slope, 1e-6 * terms.spot)


def _coarse_root(
    price: float, terms: _Terms, grid: _Grid, guess: float, slope: float
) -> tuple[float, float] | None:
    """Where the coarse lattice is worth `price`, and its slope there: secant steps from the
    guess, bisecting when a step leaves the bracket. None when even IV_UPPER is too cheap."""
    low, high, high_seen = IV_LOWER, IV_UPPER, False  # the price is above the floor: low is below
    vol, excess = guess, _lattice(terms, guess, grid).values[1] - price
    for _ in range(_MAX_ITERATIONS):
        if excess < 0:
            if vol >= IV_UPPER:
                return None
            low = vol
        else:
            high, high_seen = vol, True
        step = vol - excess / slope
        if not low < step < high:
            step = 0.5 * (low + high) if high_seen else min(2.0 * vol, IV_UPPER)
        if abs(step - vol) < max(1e-3, 0.005 * vol):  # close enough for the fine stage to settle
            return step, slope
        stepped = _lattice(terms, step, grid).values[1] - price
        secant = (stepped - excess) / (step - vol)
        slope = secant if secant > 0 else slope
        vol, excess = step, stepped
    return vol, slope


def _fine_root(
    price: float, terms: _Terms, grid: _Grid, volatility: float, slope: float
) -> tuple[float, BlackScholes] | None:
    """Settle the root by secant steps on the fine lattice from the coarse root and slope, until
    it falls next to the last run; the greeks are interpolated between the last two runs."""
    v1, run1 = volatility, _lattice(terms, volatility, grid)
    for _ in range(_FINE_ITERATIONS):
        gap = 0.5 * min(_VEGA_BUMP, 0.5 * v1)  # runs at least this far apart: a slope to read
        step = v1 + (price - run1.values[1]) / slope
        step = step if abs(step - v1) >= gap else v1 + math.copysign(gap, step - v1)
        if not IV_LOWER < step < IV_UPPER:
            return None
        (v0, run0), (v1, run1) = (v1, run1), (step, _lattice(terms, step, grid))
        slope = (run1.values[1] - run0.values[1]) / (v1 - v0)
        if not slope > 0:
            return None  # the price does not move with volatility here: no IV to read
        root = v0 + (price - run0.values[1]) / slope
        if abs(root - v1) <= 0.5 * gap and IV_LOWER <= root <= IV_UPPER:  # the chord is the curve
            weight = (root - v0) / (v1 - v0)
            at_0, at_1 = _local(run0, terms, v0), _local(run1, terms, v1)
            value, delta, gamma, theta = (a + weight * (b - a) for a, b in zip(at_0, at_1, strict=True))
            return root, BlackScholes(price=value, delta=delta, gamma=gamma, theta=theta, vega=slope / 100)
    return None
