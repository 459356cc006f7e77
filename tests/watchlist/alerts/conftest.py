"""Alerts come from a real refresh cycle (Redis and the sandbox) and go out by e-mail and webhook.

Deliveries run eagerly in this process, so Django's test outbox sees the e-mail; the webhook
receiver is a process each test starts (`tests.webhook_receiver`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from kombu import pools as kombu_pools

from marketdata import clock
from marketdata import services as marketdata_services
from mojo.celery import app as celery_app
from tests.factories import TickerFactory, UserFactory, WatchlistItemFactory
from tests.webhook_receiver import Receiver, started_receiver
from watchlist import alert_settings, trades
from watchlist.models import Trade

PUT_270 = "O:AAPL261218P00270000"


@pytest.fixture(autouse=True)
def _uses_redis_and_sandbox(redis: object, sandbox: object, settings) -> None:
    """Every test here starts with an empty Redis and a reset sandbox; deliveries retry at once."""
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    settings.ALERT_DELIVERY_RETRY_WAIT = 0.0


@contextmanager
def tasks_run_here() -> Iterator[None]:
    """Tasks handed to the workers run here and now (retries too, at once).

    Not propagating: an eager retry is Celery's Retry exception, which `apply` only turns into
    the next attempt when it is not raised through. Tests assert on what the tasks left.
    """
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    with tasks_run_here():
        yield


def _broker_reconnect(url: str) -> None:
    """Point the Celery app at `url`, dropping the connections it holds to the old broker."""
    kombu_pools.reset()  # kombu keeps producer pools per broker URL, process-wide
    celery_app.conf.broker_url = url
    celery_app._pool = None  # made again, from the new URL, on the next send
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[Callable[[], AbstractContextManager[None]]]:
    """A block in which the broker refuses connections (nothing listens at its address)."""
    working = celery_app.conf.broker_url

    @contextmanager
    def down() -> Iterator[None]:
        _broker_reconnect(f"redis://127.0.0.1:{_closed_port()}/0")
        try:
            yield
        finally:
            _broker_reconnect(working)

    yield down
    _broker_reconnect(working)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def trader(db):  # type: ignore[no-untyped-def]
    """A user watching AAPL, with an e-mail address."""
    user = UserFactory.create(email="trader@example.com")
    WatchlistItemFactory.create(owner=user, ticker=TickerFactory.create(symbol="AAPL"))
    return user


def put_mark() -> float:
    """What the sandbox quotes the Dec 18 270 put at (its mid)."""
    return float(marketdata_services.option_price_get("AAPL", PUT_270).value["price"])


def open_csp(user, *, entry_price: float) -> Trade:  # type: ignore[no-untyped-def]
    """One short Dec 18 270 put sold at `entry_price`."""
    leg = trades.LegInput(
        instrument="option", option_ticker=PUT_270, quantity=-1, entry_price=Decimal(str(entry_price))
    )
    return trades.trade_open(user=user, symbol="AAPL", strategy="csp", legs=[leg])


def refresh_cycle() -> None:
    """The cron command, inline: refresh, record the cycle, then the alerts (its receivers)."""
    call_command("refresh_market_data", verbosity=0)


@pytest.fixture
def receiver(tmp_path: Path, pinned_clock) -> Iterator[Receiver]:  # type: ignore[no-untyped-def]
    """A webhook receiver process answering 200, judging timestamps by mojo's pinned clock."""
    with started_receiver(tmp_path, clock=pinned_clock.timestamp()) as started:
        yield started


def channels_on(user, receiver: Receiver) -> str:  # type: ignore[no-untyped-def]
    """Switch the user's e-mail and webhook on (the receiver told the secret); the secret."""
    saved = alert_settings.alert_settings_save(
        user=user, email_enabled=True, webhook_url=receiver.url, now=clock.now()
    )
    assert saved.new_secret
    receiver.set_secret(saved.new_secret)
    return saved.new_secret
