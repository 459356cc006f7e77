"""The alerts API: the user's own alerts, paginated, dismissed once; channels with a secret shown once."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketdata import clock
from tests.factories import TradeFactory, UserFactory
from watchlist.models import Alert, AlertCode, AlertSettings

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/alerts/"
SETTINGS = "/api/v1/alert-settings/"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def user():
    return UserFactory.create()


@pytest.fixture
def api(user) -> APIClient:
    return _client(user)


def _alert(owner, code: str = AlertCode.TAKE_PROFIT, **fields) -> Alert:
    trade = fields.pop("trade", None) or TradeFactory.create(owner=owner, strategy="csp")
    return Alert.objects.create(owner=owner, trade=trade, code=code, message=f"{code} fired", **fields)


def test_the_list_is_the_users_own_alerts_newest_first_paginated(api, user) -> None:
    older = _alert(user, first_seen=clock.now().replace(hour=10))
    newer = _alert(user, AlertCode.DTE_EXIT)
    _alert(UserFactory.create())  # someone else's

    body = api.get(ALERTS).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert (first["code"], first["trade"], first["active"], first["dismissed"]) == (
        "dte_exit",
        newer.trade_id,
        True,
        False,
    )
    assert first["deliveries"] == []


def test_the_list_filters_by_dismissed_and_active(api, user) -> None:
    open_alert = _alert(user)
    dismissed = _alert(user, dismissed_at=clock.now())
    cleared = _alert(user, cleared_at=clock.now())

    def ids(query: str) -> set[int]:
        return {item["id"] for item in api.get(f"{ALERTS}?{query}").json()["results"]}

    assert ids("dismissed=false") == {open_alert.pk, cleared.pk}
    assert ids("dismissed=true") == {dismissed.pk}
    assert ids("active=false") == {cleared.pk}
    assert api.get(f"{ALERTS}?active=maybe").status_code == 400
    assert api.get(f"{ALERTS}?page=0").status_code == 400


def test_dismissing_keeps_the_first_time_and_leaves_the_dashboard(api, user) -> None:
    alert = _alert(user)

    first = api.post(f"{ALERTS}{alert.pk}/dismiss/")
    again = api.post(f"{ALERTS}{alert.pk}/dismiss/")

    assert first.status_code == again.status_code == 200
    assert first.json()["dismissed"] is True
    assert again.json()["dismissed_at"] == first.json()["dismissed_at"]


def test_another_users_alert_is_a_404_and_stays_undismissed(api) -> None:
    theirs = _alert(UserFactory.create())

    response = api.post(f"{ALERTS}{theirs.pk}/dismiss/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.dismissed_at is None


def test_anonymous_is_a_401(db) -> None:
    assert APIClient().get(ALERTS).status_code == 401
    assert APIClient().get(SETTINGS).status_code == 401


# --- Channels ----------------------------------------------------------------------------------
def test_the_defaults_are_every_channel_off(api, user) -> None:
    body = api.get(SETTINGS).json()

    assert body["email_enabled"] is False
    assert body["email_address"] == user.email
    assert (body["webhook_url"], body["webhook_secret"], body["webhook_secret_set"]) == ("", None, False)
    assert not AlertSettings.objects.exists()  # reading saves nothing


def test_a_webhook_secret_is_shown_once_and_rotated_on_request(api, settings) -> None:
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    body = {"email_enabled": False, "webhook_url": "http://127.0.0.1:9/hook"}

    made = api.put(SETTINGS, body, format="json").json()
    read = api.get(SETTINGS).json()
    saved_again = api.put(SETTINGS, body, format="json").json()
    rotated = api.put(SETTINGS, {**body, "rotate_webhook_secret": True}, format="json").json()

    assert made["webhook_secret"].startswith("whsec_") and len(made["webhook_secret"]) == 70
    assert (read["webhook_secret"], read["webhook_secret_set"]) == (None, True)
    assert saved_again["webhook_secret"] is None  # the same secret, not shown again
    assert rotated["webhook_secret"] not in (None, made["webhook_secret"])
    assert AlertSettings.objects.get().webhook_secret == rotated["webhook_secret"]


def test_removing_the_webhook_forgets_its_secret(api, settings) -> None:
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    api.put(SETTINGS, {"email_enabled": False, "webhook_url": "http://127.0.0.1:9/hook"}, format="json")

    body = api.put(SETTINGS, {"email_enabled": False, "webhook_url": ""}, format="json").json()

    assert (body["webhook_url"], body["webhook_secret_set"]) == ("", False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/hook",
    ],
)
def test_a_private_address_webhook_is_refused_and_nothing_is_saved(api, url) -> None:
    response = api.put(SETTINGS, {"email_enabled": True, "webhook_url": url}, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "webhook_url_private"
    assert not AlertSettings.objects.exists()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"email_enabled": True, "webhook_url": "ftp://example.com/x"}, "webhook_url_invalid", None),
        ({"email_enabled": True, "webhook_url": "http://user:pw@example.com/"}, "webhook_url_invalid", None),
        ({"email_enabled": "sometimes", "webhook_url": ""}, "invalid", "email_enabled"),
        ({"webhook_url": ""}, "invalid", "email_enabled"),
        ({"email_enabled": True, "email": "not-an-address", "webhook_url": ""}, "invalid", "email"),
        ({"email_enabled": False, "webhook_url": "", "rotate_webhook_secret": True}, "invalid", None),
    ],
)
def test_bad_settings_are_a_400_naming_the_problem(api, body, code, field) -> None:
    response = api.put(SETTINGS, body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == code
    if field:
        assert field in response.json()["error"]["details"]
    assert not AlertSettings.objects.exists()


def test_email_alerts_without_any_address_are_refused(db) -> None:
    nameless = UserFactory.create(email="")
    response = _client(nameless).put(SETTINGS, {"email_enabled": True, "webhook_url": ""}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]


def test_a_form_body_is_a_415(api) -> None:
    response = api.put(SETTINGS, {"email_enabled": "true", "webhook_url": ""})

    assert response.status_code == 415
    assert not AlertSettings.objects.exists()
