"""What the browser tests' server holds: a staff user, a watchlist, positions and trades.

Run inside the server's own settings (`manage.py shell`, see `conftest.py`), through the real
services, as `make demo` seeds: a watchlist with a year of labelled IV history, several
positions of each strategy on the sandbox's liquid contracts (long tickers such as
`O:GOOGL261218C00320000` among them) and multi-leg trades. The refresh that fills the cache
runs afterwards, as its own command.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from devtools.demo import contract_near_delta, seed_demo_iv_history
from marketdata import clock, services
from marketdata.option_analytics import AnalysedContract
from watchlist.services import position_open, watchlist_add
from watchlist.trades import LegInput, trade_open

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Long names (Berkshire, UnitedHealth) and long option roots (GOOGL, AMZN) on purpose.
WATCHED = ("AAPL", "MSFT", "NVDA", "GOOGL", "AMZN", "SPY", "BRK.B", "UNH")
NEAR = (21, 60)  # days to expiration of short-dated contracts
FAR = (365, 900)  # of LEAPS and PMCC long legs

# (symbol, strategy, contract type, DTE window, target |delta|, quantity, entry / today's price)
OPTION_POSITIONS: tuple[tuple[str, str, str, tuple[int, int], float, int, str], ...] = (
    ("AAPL", "covered_call", "call", NEAR, 0.30, -1, "1.15"),
    ("MSFT", "covered_call", "call", NEAR, 0.25, -2, "0.85"),
    ("MSFT", "csp", "put", NEAR, 0.30, -1, "2.20"),
    ("GOOGL", "csp", "put", NEAR, 0.20, -3, "1.30"),
    ("NVDA", "leaps", "call", FAR, 0.80, 1, "0.90"),
    ("GOOGL", "leaps", "call", FAR, 0.70, 2, "1.08"),
    ("SPY", "pmcc_long", "call", FAR, 0.80, 1, "0.90"),
    ("GOOGL", "pmcc_long", "call", FAR, 0.80, 1, "0.95"),
    ("SPY", "pmcc_short", "call", NEAR, 0.30, -1, "1.15"),
    ("GOOGL", "pmcc_short", "call", NEAR, 0.25, -1, "0.80"),
    ("AMZN", "other", "put", NEAR, 0.40, 2, "0.75"),
    ("UNH", "other", "call", NEAR, 0.50, -1, "1.40"),
)


def _chain(symbol: str) -> list[AnalysedContract]:
    return services.chain_analyse(services.options_chain_get(symbol).value, today=clock.market_today())


def _pick(
    contracts: Sequence[AnalysedContract], contract_type: str, dte: tuple[int, int], delta: float
) -> AnalysedContract:
    """The priced contract of that type and DTE window whose |delta| is nearest `delta` (the demo's pick)."""
    found = contract_near_delta(
        list(contracts), contract_type=contract_type, min_dte=dte[0], max_dte=dte[1], delta=delta
    )
    assert found is not None, f"the sandbox chain has no {contract_type} in {dte}"
    return found


def _price(contract: AnalysedContract, factor: str = "1") -> Decimal:
    return (Decimal(str(contract.price)) * Decimal(factor)).quantize(Decimal("0.01"))


def _leg(contract: AnalysedContract, quantity: int, factor: str = "1") -> LegInput:
    return LegInput(
        instrument="option",
        option_ticker=contract.option_ticker,
        quantity=quantity,
        entry_price=_price(contract, factor),
    )


def _spot(symbol: str) -> Decimal:
    return Decimal(str(services.stock_data_get(symbol).value["price"]))


def _stock_positions(user: User) -> None:
    for symbol, quantity, factor in (("AAPL", 100, "0.94"), ("MSFT", 30, "1.06"), ("BRK.B", 12, "0.97")):
        entry = (_spot(symbol) * Decimal(factor)).quantize(Decimal("0.01"))
        position_open(
            user=user,
            symbol=symbol,
            instrument="stock",
            quantity=quantity,
            strategy="stock",
            entry_price=entry,
        )
    closed = clock.now()
    position_open(
        user=user,
        symbol="GOOGL",
        instrument="stock",
        quantity=50,
        strategy="stock",
        entry_price=Decimal("150.00"),
        opened_at=closed.replace(year=closed.year - 1),
        closed_at=closed,
        exit_price=Decimal("171.25"),
    )


def _option_positions(user: User) -> None:
    chains = {symbol: _chain(symbol) for symbol in {row[0] for row in OPTION_POSITIONS}}
    for symbol, strategy, contract_type, dte, delta, quantity, factor in OPTION_POSITIONS:
        contract = _pick(chains[symbol], contract_type, dte, delta)
        position_open(
            user=user,
            symbol=symbol,
            instrument="option",
            option_ticker=contract.option_ticker,
            quantity=quantity,
            strategy=strategy,
            entry_price=_price(contract, factor),
        )


def _trades(user: User) -> None:
    googl, amzn, msft, nvda = (_chain(s) for s in ("GOOGL", "AMZN", "MSFT", "NVDA"))
    bought, sold = _pick(googl, "call", NEAR, 0.45), _pick(googl, "call", NEAR, 0.20)
    sold = next(c for c in googl if c.expiration == bought.expiration and c.strike == sold.strike)
    trade_open(user=user, symbol="GOOGL", strategy="vertical", legs=[_leg(bought, 2), _leg(sold, -2)])
    trade_open(
        user=user,
        symbol="AMZN",
        strategy="pmcc",
        legs=[_leg(_pick(amzn, "call", FAR, 0.85), 1), _leg(_pick(amzn, "call", NEAR, 0.15), -1)],
    )
    shares = LegInput(instrument="stock", quantity=100, entry_price=_spot("MSFT").quantize(Decimal("0.01")))
    trade_open(
        user=user,
        symbol="MSFT",
        strategy="covered_call",
        legs=[shares, _leg(_pick(msft, "call", NEAR, 0.30), -1, "1.10")],
    )
    trade_open(user=user, symbol="NVDA", strategy="wheel", legs=[_leg(_pick(nvda, "put", NEAR, 0.25), -1)])
    trade_open(user=user, symbol="NVDA", strategy="csp", legs=[_leg(_pick(nvda, "put", NEAR, 0.15), -2)])


def seed(*, username: str, password: str) -> None:
    """Create the staff user with its watchlist, IV history, positions and trades."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username, f"{username}@example.com", password)
    for symbol in WATCHED:
        watchlist_add(user=user, symbol=symbol)
    seed_demo_iv_history(WATCHED, now=clock.now())
    _stock_positions(user)
    _option_positions(user)
    _trades(user)
