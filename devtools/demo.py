"""Demo data for `make demo`: the demo user, a watchlist, labelled IV history and positions.

Dev tools only: the offline demo needs a year of IV observations and a few positions of
each strategy that a fresh install lacks. Everything goes through the real services.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from devtools.sandbox import data as sandbox_data
from marketdata import clock, market_hours, services
from marketdata.models import IVSnapshot
from marketdata.option_analytics import AnalysedContract
from marketdata.symbols import normalize_symbol
from marketdata.volatility import IV_HISTORY_SESSIONS
from watchlist.models import Position
from watchlist.services import position_open, watchlist_add

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_SYMBOLS = ("AAPL", "MSFT", "NVDA", "GOOGL", "SPY")


def demo_user_reset(*, username: str = "demo") -> tuple[User, str]:
    """Create (or reset) the demo superuser with a freshly generated password; return both."""
    from django.contrib.auth import get_user_model

    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = True
    user.email = user.email or "demo@example.com"  # alerts by e-mail print in the worker's log
    user.set_password(password)
    user.save()
    return user, password


def demo_watchlist_seed(*, user: User, symbols: tuple[str, ...] = DEMO_SYMBOLS) -> None:
    """Put the demo symbols on the user's watchlist (validated like any other add)."""
    for symbol in symbols:
        watchlist_add(user=user, symbol=symbol)


def contract_near_delta(
    contracts: list[AnalysedContract], *, contract_type: str, min_dte: int, max_dte: int, delta: float
) -> AnalysedContract | None:
    usable = [
        c
        for c in contracts
        if c.contract_type == contract_type
        and min_dte <= c.dte <= max_dte
        and c.delta is not None
        and c.price
    ]
    return min(usable, key=lambda c: abs(abs(c.delta or 0.0) - delta), default=None)


# (symbol, strategy, contract type, DTE window, target |delta|, quantity, entry price / today's)
# of each demo option. Shorts were sold a bit higher, longs bought a bit lower than today: a
# plausible winning book; the MSFT put has earned over half its credit, so it shows a
# take-profit alert.
OPTION_PLAN = (
    ("AAPL", "covered_call", "call", 21, 60, 0.30, -1, Decimal("1.15")),
    ("MSFT", "csp", "put", 21, 60, 0.30, -1, Decimal("2.20")),
    ("NVDA", "leaps", "call", 365, 900, 0.80, 1, Decimal("0.90")),
    ("SPY", "pmcc_long", "call", 365, 900, 0.80, 1, Decimal("0.90")),
    ("SPY", "pmcc_short", "call", 21, 60, 0.30, -1, Decimal("1.15")),
)


def demo_positions_seed(*, user: User) -> list[Position]:
    """Open a few positions of each strategy on liquid contracts of the (already fetched) chains.

    Entry prices sit a little away from today's prices so the P&L columns show something.
    """
    if Position.objects.filter(owner=user).exists():
        return []
    today = clock.market_today()
    chains = {
        symbol: services.chain_analyse(services.options_chain_get(symbol).value, today=today)
        for symbol in ("AAPL", "MSFT", "NVDA", "SPY")
    }
    stock_price = Decimal(str(services.stock_data_get("AAPL").value["price"]))
    created = [
        position_open(
            user=user,
            symbol="AAPL",
            instrument="stock",
            quantity=100,
            strategy="stock",
            entry_price=(stock_price * Decimal("0.94")).quantize(Decimal("0.01")),
        ),
        position_open(
            user=user,
            symbol="GOOGL",
            instrument="stock",
            quantity=50,
            strategy="stock",
            entry_price=Decimal("150.00"),
            opened_at=clock.now() - timedelta(days=90),
            closed_at=clock.now() - timedelta(days=10),
            exit_price=Decimal("171.25"),
        ),
    ]
    for symbol, strategy, contract_type, min_dte, max_dte, delta, quantity, factor in OPTION_PLAN:
        contract = contract_near_delta(
            chains[symbol], contract_type=contract_type, min_dte=min_dte, max_dte=max_dte, delta=delta
        )
        if contract is None:
            continue
        created.append(
            position_open(
                user=user,
                symbol=symbol,
                instrument="option",
                option_ticker=contract.option_ticker,
                quantity=quantity,
                strategy=strategy,
                entry_price=(Decimal(str(contract.price)) * factor).quantize(Decimal("0.01")),
            )
        )
    return created


def demo_alerts_on(*, user: User) -> None:
    """Switch the demo user's e-mail alerts on, before the refresh whose end opens them.

    The demo's e-mail backend prints (EMAIL_URL unset: consolemail://), so each alert shows
    once in the worker's log.
    """
    from watchlist import alert_settings

    alert_settings.alert_settings_save(user=user, email_enabled=True, webhook_url="", now=clock.now())


def seed_demo_iv_history(
    symbols: Iterable[str], *, now: datetime, sessions: int = IV_HISTORY_SESSIONS
) -> int:
    """Store a year of ATM IV per symbol from the sandbox's own IV model, labelled demo data.

    Only for the offline demo: IV rank needs a year of observations that a fresh install lacks.
    """
    last = market_hours.latest_completed_session(now)
    days = market_hours.sessions_between(last - timedelta(days=int(sessions * 1.6)), last)[-sessions:]
    rows = [
        IVSnapshot(ticker=symbol, session_date=day, atm_iv=sandbox_data.atm_iv_on(symbol, day), is_demo=True)
        for symbol in (normalize_symbol(s) for s in symbols)
        if symbol in sandbox_data.UNIVERSE
        for day in days
    ]
    IVSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["ticker", "session_date"],
        update_fields=["atm_iv", "is_demo"],
    )
    return len(rows)


def celery_processes_start(environment: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """A Celery worker (2 processes) and beat for the demo, with the demo's Redis, sandbox and database.

    The database is the demo's own settings' (a file SQLite in WAL mode, or DATABASE_URL).
    """
    env = {**os.environ, **environment}
    env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "mojo.settings.local"))
    celery = [sys.executable, "-m", "celery", "-A", "mojo"]
    return [
        subprocess.Popen([*celery, "worker", "-c", "2", "-n", "demo@%h", "-l", "WARNING"], env=env),
        subprocess.Popen([*celery, "beat", "-S", "django", "-l", "WARNING"], env=env),
    ]


def processes_stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the demo's processes (a warm shutdown, then a kill after 20 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
