"""Benchmark the American model: a 1,000-contract chain analysed with it and with Black-Scholes.

Run `python bench/american.py [--symbol SBUX] [--all]` from the repository root. The chain is the
sandbox's (the provider's shape, parsed as the Massive client parses it) on 2026-11-24; its
deep contracts (|delta| ≥ 0.985) lack IV and greeks half the time, as the sandbox's do. SBUX's
1,080 contracts lack them in 1.39 % of cases, the sandbox-wide share being 1.34 %. Its cash
dividends are the sandbox's declared ones projected by `marketdata.dividend_schedule`, as the
services will pass them.

Interleaved in one run (median of the rounds), `option_analytics.analyze_contract` over every
contract:

- European: the model swapped for `marketdata.pricing`'s Black-Scholes (today's code, which
  ignores dividends);
- American: `marketdata.american` with the dividends, as it ships, its cache of time grids
  (which a chain's contracts of one expiration share) emptied before each run.

Target: American ≤ 2x European. `--all` adds the other sandbox payers' chains of 800-1,300
contracts (their shares lacking IV run from 0.2 % to 4.5 %) as context.

Then the trades' model values, side by side in the same way: `trade_figures` of three trades
on the chain (a call calendar and a put calendar, 2027-01-15 / 2027-03-19 at the money, a
dividend going ex between; a PMCC, long the 2028-01-21 call near 80 % of spot, short the
2027-01-15 call near 105 %, four dividends between), with the legs outliving the horizon
valued by Black-Scholes without dividends (the code before) or by `marketdata.american_curve`
(as it ships, time grids emptied before each run). Target: a trade's figures under 20 ms.
Results go to bench/results/american.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SANDBOX_TODAY, interleaved, print_summary, summary_row, write_results

NAME = "american"
TARGET_RATIO = 2.0
ROUNDS = 15
RATE = 0.04  # settings.RISK_FREE_RATE's default
CONTEXT = ("JPM", "XOM", "COST", "DIS", "KO", "CSCO", "AVGO", "V", "MRK", "GE", "NKE")
TRADE_TARGET_MS = 20.0
TRADE_ROUNDS = 41
NEAR, CALENDAR_FAR, LEAPS = date(2027, 1, 15), date(2027, 3, 19), date(2028, 1, 21)


def chain(symbol: str) -> tuple[list[Any], float, list[tuple[date, float]]]:
    """The symbol's sandbox contracts as OptionSnapshots, its spot and its expected dividends."""
    from massive.rest.models import OptionContractSnapshot

    from devtools.sandbox.data import chain_records
    from devtools.sandbox.dividends import schedule
    from marketdata.clients.massive_records import option_snapshot_from_model
    from marketdata.dividend_schedule import DeclaredDividend, dividend_schedule

    records = chain_records(symbol, SANDBOX_TODAY)
    contracts = [
        option_snapshot_from_model(OptionContractSnapshot.from_dict(r), underlying=symbol) for r in records
    ]
    declared = [
        DeclaredDividend(d.ex_dividend_date, d.wire(())["cash_amount"], 4, "CD")
        for d in schedule(symbol)
        if d.declaration_date <= SANDBOX_TODAY
    ]
    until = max(c.expiration for c in contracts)
    return (
        contracts,
        records[0]["underlying_asset"]["price"],
        dividend_schedule(declared, today=SANDBOX_TODAY, until=until),
    )


def _european_implied(*, price: float | None, dividends: Any = (), **terms: Any) -> Any:
    from marketdata.pricing import black_scholes, implied_volatility

    iv = implied_volatility(price=price, **terms)
    return None if iv is None else (iv, black_scholes(volatility=iv, **terms))


def _european_greeks(*, dividends: Any = (), **terms: Any) -> Any:
    from marketdata.pricing import black_scholes

    return black_scholes(**terms)


@contextmanager
def european() -> Iterator[None]:
    """option_analytics with Black-Scholes for its model: what it computed before this model."""
    from marketdata import option_analytics

    saved = option_analytics.american_implied, option_analytics.american_greeks
    option_analytics.american_implied, option_analytics.american_greeks = _european_implied, _european_greeks
    try:
        yield
    finally:
        option_analytics.american_implied, option_analytics.american_greeks = saved


def analyse(contracts: list[Any], spot: float, dividends: list[tuple[date, float]]) -> list[Any]:
    from marketdata.option_analytics import analyze_contract

    return [
        analyze_contract(c, spot=spot, today=SANDBOX_TODAY, rate=RATE, dividends=dividends) for c in contracts
    ]


def measure(symbol: str, rounds: int) -> dict[str, Any]:
    """Both models over one chain, interleaved; medians in milliseconds and what was computed."""
    from marketdata import american

    contracts, spot, dividends = chain(symbol)

    def run_european() -> object:
        with european():
            return analyse(contracts, spot, dividends)

    def run_american() -> object:
        american._grid.cache_clear()  # cold: every chain analysed as if seen for the first time
        return analyse(contracts, spot, dividends)

    variants: dict[str, Callable[[], object]] = {"european": run_european, "american": run_american}
    timings = interleaved(variants, rounds=rounds, warmup=2)
    medians = {name: statistics.median(samples) * 1e3 for name, samples in timings.items()}
    analysed = analyse(contracts, spot, dividends)
    computed = Counter(
        (a.contract_type, a.iv_source or "no IV") for a in analysed if a.iv_source != "provider"
    )
    return {
        "symbol": symbol,
        "contracts": len(contracts),
        "lacking_iv": sum(1 for c in contracts if c.implied_volatility is None),
        "dividends": [(d.isoformat(), cash) for d, cash in dividends],
        "computed": {f"{kind} {source}": n for (kind, source), n in sorted(computed.items())},
        "european_ms": round(medians["european"], 2),
        "american_ms": round(medians["american"], 2),
        "ratio": round(medians["american"] / medians["european"], 2),
    }


def _leg(contracts: list[Any], kind: str, expiration: date, strike: float, quantity: int) -> Any:
    """A leg opened at the mid of the listed contract nearest `strike` (with an IV)."""
    from marketdata.trade_figures import FigureLeg

    listed = [
        c
        for c in contracts
        if c.contract_type == kind and c.expiration == expiration and c.implied_volatility is not None
    ]
    chosen = min(listed, key=lambda c: abs(c.strike - strike))
    mid = (chosen.bid + chosen.ask) / 2.0
    return FigureLeg(
        kind,
        quantity,
        chosen.shares_per_contract,
        mid,
        strike=chosen.strike,
        expiration=expiration,
        mark=mid,
        iv=chosen.implied_volatility,
    )


def trades(contracts: list[Any], spot: float) -> dict[str, list[Any]]:
    """The calendars and the PMCC the trades' figures are measured on."""
    return {
        "call calendar": [
            _leg(contracts, "call", NEAR, spot, -1),
            _leg(contracts, "call", CALENDAR_FAR, spot, 1),
        ],
        "put calendar": [
            _leg(contracts, "put", NEAR, spot, -1),
            _leg(contracts, "put", CALENDAR_FAR, spot, 1),
        ],
        "pmcc": [
            _leg(contracts, "call", LEAPS, 0.8 * spot, 1),
            _leg(contracts, "call", NEAR, 1.05 * spot, -1),
        ],
    }


def _european_curve(*, strike: float, years: float, rate: float, volatility: float, **terms: Any) -> Any:
    from marketdata.american_curve import AmericanCurve

    call = terms["contract_type"] == "call"
    return AmericanCurve(strike, years, rate, volatility, call, european=True, certain=())


@contextmanager
def european_trade_values() -> Iterator[None]:
    """trade_payoff with Black-Scholes for legs outliving the horizon, no dividends: the code before."""
    from marketdata import trade_payoff

    saved = trade_payoff.american_curve
    trade_payoff.american_curve = _european_curve
    try:
        yield
    finally:
        trade_payoff.american_curve = saved


def measure_trades(symbol: str, rounds: int) -> list[dict[str, Any]]:
    """Each trade's figures under both models, interleaved; medians in milliseconds, and the figures."""
    from marketdata import american
    from marketdata.trade_figures import trade_figures

    contracts, spot, dividends = chain(symbol)
    rows = []
    for name, legs in trades(contracts, spot).items():

        def figures(legs: list[Any] = legs) -> dict[str, Any]:
            return dict(trade_figures(legs, spot=spot, today=SANDBOX_TODAY, rate=RATE, dividends=dividends))

        def run_european(figures: Callable[[], dict[str, Any]] = figures) -> object:
            with european_trade_values():
                return figures()

        def run_american(figures: Callable[[], dict[str, Any]] = figures) -> object:
            american._grid.cache_clear()  # cold: as if the trade's expirations were new
            return figures()

        variants: dict[str, Callable[[], object]] = {"european": run_european, "american": run_american}
        timings = interleaved(variants, rounds=rounds, warmup=3)
        medians = {key: statistics.median(samples) * 1e3 for key, samples in timings.items()}
        with european_trade_values():
            before = figures()
        after = figures()
        rows.append(
            {
                "trade": name,
                "legs": [f"{leg.quantity:+d} {leg.kind} {leg.strike:g} {leg.expiration}" for leg in legs],
                "european_ms": round(medians["european"], 2),
                "american_ms": round(medians["american"], 2),
                "ratio": round(medians["american"] / medians["european"], 2),
                "european": {key: before[key] for key in ("max_profit", "max_loss", "breakevens", "pop")},
                "american": {key: after[key] for key in ("max_profit", "max_loss", "breakevens", "pop")},
            }
        )
    return rows


def _print_trades(rows: list[dict[str, Any]]) -> None:
    print(
        f"\n{'trade':<15}{'European ms':>13}{'American ms':>13}{'ratio':>7}   figures (European -> American)"
    )
    for row in rows:
        print(
            f"{row['trade']:<15}{row['european_ms']:>13.2f}{row['american_ms']:>13.2f}{row['ratio']:>6.2f}x"
        )
        print(f"{'':<15}legs: {'; '.join(row['legs'])}")
        for key in ("max_profit", "max_loss", "breakevens", "pop"):
            before, after = row["european"][key], row["american"][key]
            print(f"{'':<15}{key}: {_rounded(before)} -> {_rounded(after)}")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    return [round(v, 2) for v in value] if isinstance(value, list) else value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbol", default="SBUX")
    parser.add_argument("--all", action="store_true", help="also the other payers' chains, as context")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()

    main_chain = measure(args.symbol, args.rounds)
    others = [measure(symbol, args.rounds) for symbol in CONTEXT if args.all and symbol != args.symbol]
    print(f"\n{'chain':<6}{'contracts':>10}{'no IV':>7}{'European ms':>13}{'American ms':>13}{'ratio':>7}")
    for row in (main_chain, *others):
        print(
            f"{row['symbol']:<6}{row['contracts']:>10,}{row['lacking_iv']:>7}"
            f"{row['european_ms']:>13.2f}{row['american_ms']:>13.2f}{row['ratio']:>6.2f}x"
        )
    print(f"{args.symbol}'s contracts the model filled in: {main_chain['computed']}")
    summary = [
        summary_row(
            f"{args.symbol} chain ({main_chain['contracts']:,} contracts): American / European",
            main_chain["ratio"],
            TARGET_RATIO,
            at_most=True,
        )
    ]
    trade_rows = measure_trades(args.symbol, TRADE_ROUNDS)
    _print_trades(trade_rows)
    summary += [
        summary_row(
            f"{args.symbol} {row['trade']} figures, American model values",
            row["american_ms"],
            TRADE_TARGET_MS,
            at_most=True,
            unit=" ms",
        )
        for row in trade_rows
    ]
    print_summary(summary)
    figures = {"chain": main_chain, "context": others, "rounds": args.rounds, "trades": trade_rows}
    write_results(NAME, {**figures, "trade_rounds": TRADE_ROUNDS}, summary)


if __name__ == "__main__":
    main()
