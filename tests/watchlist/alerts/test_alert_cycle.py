"""Alerts from real refresh cycles: opened once per firing, delivered once per channel, never twice.

Each test opens a cash-secured put against the sandbox's quote, runs the cron command inline
(refresh, record the cycle, then its receivers: expiries, alerts) and reads what came out:
the Alert rows, Django's test outbox, and the webhook receiver process's log.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from django.core import mail

from marketdata import clock
from marketdata.models import RefreshCycle
from marketdata.services import symbol_invalidate
from marketdata.trade_rules import SIGNAL_CODES
from tests.watchlist.alerts.conftest import channels_on, open_csp, put_mark, refresh_cycle, tasks_run_here
from watchlist import alerts, trades
from watchlist.models import Alert, AlertCode, AlertDelivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def _take_profit_alerts(trade) -> list[Alert]:  # type: ignore[no-untyped-def]
    return list(trade.alerts.filter(code=AlertCode.TAKE_PROFIT).order_by("pk"))


def _posts(receiver) -> list[dict]:  # type: ignore[no-untyped-def]
    return [request for request in receiver.requests() if request["path"] == "/hook"]


def test_the_alert_codes_are_the_rules_codes() -> None:
    assert tuple(AlertCode.values) == SIGNAL_CODES


def test_a_fired_signal_is_delivered_once_by_each_channel_and_not_again(
    trader, receiver, eager_tasks
) -> None:
    secret = channels_on(trader, receiver)
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))  # 60 % of the credit earned

    refresh_cycle()
    refresh_cycle()  # still firing: nothing new

    (alert,) = _take_profit_alerts(trade)
    assert alert.active and alert.delivered_at is not None
    assert "take profit at 50 %" in alert.message
    sent = [message for message in mail.outbox if "Take profit" in message.subject]
    assert len(sent) == 1
    assert sent[0].to == ["trader@example.com"] and alert.message in sent[0].body
    posts = [post for post in _posts(receiver) if json.loads(post["body"])["alert"]["code"] == "take_profit"]
    assert len(posts) == 1
    (post,) = posts
    assert post["signature_valid"], "the receiver could not verify the signature or the timestamp"
    assert post["headers"]["X-Mojo-Signature"].startswith("sha256=")
    body = json.loads(post["body"])
    assert body["alert"]["id"] == alert.pk
    assert body["trade"] == {"id": trade.pk, "underlying": "AAPL", "strategy": "csp"}
    assert secret not in post["body"]
    assert {d.channel: d.status for d in alert.deliveries.all()} == {
        "email": "delivered",
        "webhook": "delivered",
    }


def test_a_code_that_clears_and_fires_again_alerts_again(trader, receiver, eager_tasks, settings) -> None:
    channels_on(trader, receiver)
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
    refresh_cycle()

    fires_later = dataclasses.replace(settings.TRADE_RULES, take_profit_pct=99.0)
    settings.TRADE_RULES = fires_later
    refresh_cycle()  # no longer at its target: cleared
    (cleared,) = _take_profit_alerts(trade)
    assert cleared.cleared_at is not None

    settings.TRADE_RULES = dataclasses.replace(fires_later, take_profit_pct=50.0)
    refresh_cycle()  # at its target again: a new alert, delivered again

    first, second = _take_profit_alerts(trade)
    assert (first.pk, first.active, second.active) == (cleared.pk, False, True)
    assert len([m for m in mail.outbox if "Take profit" in m.subject]) == 2
    codes = [json.loads(post["body"])["alert"]["id"] for post in _posts(receiver)]
    assert codes.count(first.pk) == codes.count(second.pk) == 1


def test_a_quote_gone_from_the_cache_clears_nothing_and_alerts_nothing_twice(
    trader, receiver, eager_tasks
) -> None:
    channels_on(trader, receiver)
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
    refresh_cycle()

    symbol_invalidate("AAPL")  # an eviction: the rules cannot see the quote
    alerts.alerts_evaluate(now=clock.now())
    (alert,) = _take_profit_alerts(trade)
    assert alert.active  # not seen to stop firing
    refresh_cycle()  # warm again, still firing

    assert _take_profit_alerts(trade) == [alert]
    assert len([m for m in mail.outbox if "Take profit" in m.subject]) == 1


def test_an_alert_clears_when_its_trade_closes(trader, eager_tasks) -> None:
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
    refresh_cycle()
    (leg,) = trade.legs.all()
    trades.trade_close(trade=trade, exit_prices={leg.pk: Decimal("0.50")})

    refresh_cycle()

    assert {alert.active for alert in trade.alerts.all()} == {False}


def test_a_near_miss_opens_no_alert(trader, receiver, eager_tasks) -> None:
    channels_on(trader, receiver)
    trade = open_csp(trader, entry_price=round(put_mark() * 1.8, 2))  # 44 % earned

    refresh_cycle()

    assert _take_profit_alerts(trade) == []
    assert not [m for m in mail.outbox if "Take profit" in m.subject]


def test_a_failing_webhook_is_retried_and_never_fails_the_cycle(
    trader, tmp_path, pinned_clock, eager_tasks
) -> None:
    from tests.webhook_receiver import started_receiver

    with started_receiver(tmp_path, statuses=(500, 503, 200), clock=pinned_clock.timestamp()) as flaky:
        channels_on(trader, flaky)
        trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))

        refresh_cycle()

        posts = [p for p in _posts(flaky) if json.loads(p["body"])["alert"]["code"] == "take_profit"]
    assert RefreshCycle.objects.get().status == RefreshCycle.Status.SUCCEEDED
    assert [post["status"] for post in posts] == [500, 503, 200]
    assert all(post["signature_valid"] for post in posts)
    assert len({post["body"] for post in posts}) == 1  # the same delivery, tried again
    webhook = AlertDelivery.objects.get(alert__in=_take_profit_alerts(trade), channel="webhook")
    assert (webhook.status, webhook.attempts, webhook.last_error) == (DeliveryStatus.DELIVERED, 3, "")


def test_a_webhook_that_keeps_failing_is_given_up_and_the_cycle_still_succeeds(
    trader, tmp_path, pinned_clock, eager_tasks, settings
) -> None:
    from tests.webhook_receiver import started_receiver

    settings.ALERT_DELIVERY_ATTEMPTS = 3
    with started_receiver(tmp_path, statuses=(500,), clock=pinned_clock.timestamp()) as broken:
        channels_on(trader, broken)
        trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
        refresh_cycle()
        refresh_cycle()  # a failed delivery is not handed over again

        posts = [p for p in _posts(broken) if json.loads(p["body"])["alert"]["code"] == "take_profit"]
    assert [cycle.status for cycle in RefreshCycle.objects.all()] == [RefreshCycle.Status.SUCCEEDED] * 2
    assert len(posts) == 3
    (alert,) = _take_profit_alerts(trade)
    deliveries = {d.channel: d for d in alert.deliveries.all()}
    assert (deliveries["webhook"].status, deliveries["webhook"].attempts) == (DeliveryStatus.FAILED, 3)
    assert "500" in deliveries["webhook"].last_error
    assert deliveries["email"].status == DeliveryStatus.DELIVERED  # one channel's failure is its own
    assert alert.delivered_at is None


def test_a_webhook_turned_private_is_refused_at_delivery(trader, receiver, eager_tasks, settings) -> None:
    channels_on(trader, receiver)  # saved while private addresses were allowed
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))

    refresh_cycle()

    assert _posts(receiver) == []
    webhook = AlertDelivery.objects.get(alert__in=_take_profit_alerts(trade), channel="webhook")
    assert (webhook.status, webhook.attempts) == (DeliveryStatus.FAILED, 1)  # not retried
    assert "not a public address" in webhook.last_error


def test_with_the_broker_down_deliveries_wait_for_the_next_cycle(trader, receiver, broker_down) -> None:
    """Handing over fails, the cycle does not, and nothing is lost: the next cycle hands it over."""
    channels_on(trader, receiver)
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))

    with broker_down():
        refresh_cycle()
        (alert,) = _take_profit_alerts(trade)
        assert RefreshCycle.objects.get().status == RefreshCycle.Status.SUCCEEDED
        assert {(d.status, d.queued_at) for d in alert.deliveries.all()} == {(DeliveryStatus.PENDING, None)}
        assert _posts(receiver) == [] and not mail.outbox

    with tasks_run_here():
        refresh_cycle()  # the broker is back (and the tasks it is handed run at once)

    assert {d.status for d in alert.deliveries.all()} == {DeliveryStatus.DELIVERED}
    assert len([p for p in _posts(receiver) if json.loads(p["body"])["alert"]["id"] == alert.pk]) == 1
    assert len([m for m in mail.outbox if "Take profit" in m.subject]) == 1
