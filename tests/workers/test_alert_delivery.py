"""Alert delivery on real workers: the cycle's finish opens the alert, a worker sends it, a 5xx waits.

The worker's retry is Celery's own (a countdown on the broker), not a loop in the cycle: the
cycle has succeeded before the webhook's second attempt arrives.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.webhook_receiver import started_receiver
from tests.workers.processes import database_of, last_cycle, manage, start_worker, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# A trader with both channels on and a CSP at 60 % of its max profit; prints the webhook secret.
SEED = """
from decimal import Decimal
from django.contrib.auth.models import User
from marketdata import clock, services
from watchlist import alert_settings, trades
user = User.objects.create(username="trader", email="trader@example.com")
mark = services.option_price_get("AAPL", "O:AAPL261218P00270000").value["price"]
leg = trades.LegInput(instrument="option", option_ticker="O:AAPL261218P00270000", quantity=-1,
                      entry_price=Decimal(str(round(mark * 2.5, 2))))
trades.trade_open(user=user, symbol="AAPL", strategy="csp", legs=[leg])
saved = alert_settings.alert_settings_save(
    user=user, email_enabled=True, webhook_url="{url}", now=clock.now()
)
print(saved.new_secret)
"""


def _deliveries(env: dict[str, str]) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(database_of(env)) as db:
        rows = db.execute(
            "SELECT d.channel, d.status, d.attempts FROM watchlist_alertdelivery d"
            " JOIN watchlist_alert a ON a.id = d.alert_id WHERE a.code = 'take_profit'"
        ).fetchall()
    return {channel: (status, attempts) for channel, status, attempts in rows}


def test_a_webhook_answering_500_is_retried_by_the_worker_after_the_cycle_has_succeeded(
    env, tmp_path, pinned_clock
) -> None:
    outbox = tmp_path / "outbox"
    with started_receiver(tmp_path, statuses=(500, 200), clock=pinned_clock.timestamp()) as receiver:
        env = {
            **env,
            "ALERT_WEBHOOK_ALLOW_PRIVATE": "true",
            "ALERT_DELIVERY_RETRY_WAIT": "2",
            "EMAIL_URL": f"filemail:///{outbox}",  # an absolute path: environ drops one "/"
        }
        seeded = manage(env, "shell", "-c", SEED.replace("{url}", receiver.url))
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        receiver.set_secret(seeded.stdout.strip().splitlines()[-1])
        worker = start_worker(env, "w1")
        try:
            done = manage(env, "refresh_market_data", "--enqueue", "--wait", "--wait-timeout", "150")
            assert done.returncode == 0, done.stdout + done.stderr
            assert last_cycle(database_of(env))["status"] == "succeeded"

            def posts() -> list[dict]:
                return [
                    p for p in receiver.requests() if json.loads(p["body"])["alert"]["code"] == "take_profit"
                ]

            wait_for(lambda: len(posts()) == 2, "the webhook's second attempt")
            wait_for(
                lambda: _deliveries(env).get("webhook", ("", 0))[0] == "delivered", "the delivery recorded"
            )
        finally:
            stop(worker)
    first, second = posts()
    assert (first["status"], second["status"]) == (500, 200)
    assert first["body"] == second["body"] and first["signature_valid"] and second["signature_valid"]
    assert second["received_at"] - first["received_at"] >= 1.5  # the countdown, not an immediate retry
    assert _deliveries(env) == {"email": ("delivered", 1), "webhook": ("delivered", 2)}
    sent = [path.read_text() for path in outbox.iterdir()]
    assert len([text for text in sent if "Take profit on AAPL" in text]) == 1
