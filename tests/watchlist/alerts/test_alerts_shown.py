"""Where a trader sees signals and alerts: the trade, the dashboard, the admin."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.watchlist.alerts.conftest import open_csp, put_mark, refresh_cycle
from watchlist.models import Alert, AlertCode, AlertSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(trader) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=trader).key}")
    return client


def _signal(body: dict, code: str) -> dict | None:
    return next((signal for signal in body["signals"] if signal["code"] == code), None)


def test_a_trade_shows_its_signals_and_since_when_a_cycle_first_saw_them(api, trader) -> None:
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))

    before = api.get(f"/api/v1/trades/{trade.pk}/").json()
    refresh_cycle()
    after = api.get(f"/api/v1/trades/{trade.pk}/").json()

    first = _signal(before, "take_profit")
    assert first is not None and first["since"] is None  # live from the quote; no cycle has seen it
    assert "take profit at 50 %" in first["message"]
    alert = Alert.objects.get(trade=trade, code=AlertCode.TAKE_PROFIT)
    assert _signal(after, "take_profit")["since"] == alert.first_seen.isoformat().replace("+00:00", "Z")
    listed = api.get("/api/v1/trades/").json()["results"][0]
    assert _signal(listed, "take_profit") is not None


def test_a_trade_below_its_target_shows_no_take_profit(api, trader) -> None:
    trade = open_csp(trader, entry_price=round(put_mark() * 1.8, 2))

    assert _signal(api.get(f"/api/v1/trades/{trade.pk}/").json(), "take_profit") is None


def test_the_dashboard_lists_open_alerts_until_dismissed(api, trader) -> None:
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
    refresh_cycle()
    alert = Alert.objects.get(trade=trade, code=AlertCode.TAKE_PROFIT)

    listed = api.get("/api/v1/dashboard/").json()["alerts"]
    api.post(f"/api/v1/alerts/{alert.pk}/dismiss/")
    after = api.get("/api/v1/dashboard/").json()["alerts"]

    shown = next(item for item in listed if item["id"] == alert.pk)
    assert shown == {
        "id": alert.pk,
        "trade": trade.pk,
        "underlying": "AAPL",
        "code": "take_profit",
        "message": alert.message,
        "first_seen": alert.first_seen.isoformat(),
        "active": True,
    }
    assert alert.pk not in {item["id"] for item in after}


def test_the_admin_lists_alerts_and_dismisses_them(trader, admin_client) -> None:
    trade = open_csp(trader, entry_price=round(put_mark() * 2.5, 2))
    refresh_cycle()
    alert = Alert.objects.get(trade=trade, code=AlertCode.TAKE_PROFIT)

    listing = admin_client.get("/admin/watchlist/alert/")
    open_before = admin_client.get("/admin/watchlist/alert/?dismissed=no").context["cl"].result_count
    trade_page = admin_client.get(f"/admin/watchlist/trade/{trade.pk}/change/")
    by_trade = admin_client.get(f"/admin/watchlist/alert/?trade__id__exact={trade.pk}")
    dismissed = admin_client.post(
        "/admin/watchlist/alert/", {"action": "dismiss", "_selected_action": [alert.pk]}, follow=True
    )

    assert listing.status_code == trade_page.status_code == by_trade.status_code == 200
    assert "Take profit" in listing.content.decode()
    assert "take profit at 50 %" in trade_page.content.decode()  # the signals, from the cache
    assert f'<li data-alert="{alert.pk}">' in trade_page.content.decode()
    assert f"All {trade.alerts.count()} alert" in trade_page.content.decode()
    assert by_trade.context["cl"].result_count == trade.alerts.count()
    assert "dismissed" in dismissed.content.decode()
    alert.refresh_from_db()
    assert alert.dismissed_at is not None
    assert (
        admin_client.get("/admin/watchlist/alert/?dismissed=no").context["cl"].result_count == open_before - 1
    )
    assert admin_client.get("/admin/watchlist/alert/?dismissed=yes").context["cl"].result_count == 1
    assert admin_client.get("/admin/watchlist/alert/?active=no").context["cl"].result_count == 0


def test_the_admin_refuses_a_private_webhook_on_its_field(trader, admin_client, settings) -> None:
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    page = admin_client.post(
        "/admin/watchlist/alertsettings/add/",
        {"user": trader.pk, "email_enabled": "on", "email": "", "webhook_url": "http://127.0.0.1:9/hook"},
    )

    assert page.status_code == 200  # the form again, with the error
    assert "not a public address" in page.content.decode()


def test_the_admin_shows_a_new_webhook_secret_once(trader, admin_client) -> None:
    saved = admin_client.post(
        "/admin/watchlist/alertsettings/add/",
        {"user": trader.pk, "email_enabled": "on", "email": "", "webhook_url": "http://127.0.0.1:9/hook"},
        follow=True,
    )
    stored = AlertSettings.objects.get(user=trader)
    change = admin_client.get(f"/admin/watchlist/alertsettings/{stored.pk}/change/")

    assert saved.status_code == 200
    assert stored.webhook_secret.startswith("whsec_") and stored.webhook_secret in saved.content.decode()
    assert stored.webhook_secret not in change.content.decode()
