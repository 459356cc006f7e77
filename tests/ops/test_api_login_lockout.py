"""django-axes and the API: the token endpoint still works and answers JSON; tokens are never locked.

The lockout applies to the admin login only. Failed token requests count toward the same
username + address pair (guessing through the API also locks that pair out of the admin),
but the token endpoint keeps its JSON errors and its own per-address "auth" throttle.
Here rather than beside tests/login/test_admin_lockout.py: the API's throttles need Redis.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
WATCHLIST = "/api/v1/watchlist/"
HERE = "203.0.113.5"
LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def alice():
    return UserFactory.create(username="alice", is_staff=True)


def ask_token(password: str = PASSWORD):
    return APIClient().post(
        TOKEN_URL, {"username": "alice", "password": password}, format="json", REMOTE_ADDR=HERE
    )


def admin_log_in(password: str = PASSWORD, client: Client | None = None):
    return (client or Client()).post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": password}, REMOTE_ADDR=HERE
    )


def lock_alice_out_of_the_admin() -> None:
    for _ in range(LIMIT):
        admin_log_in("not-the-password")
    assert admin_log_in().status_code == 429


def test_the_token_endpoint_issues_a_token(alice):
    response = ask_token()

    assert response.json()["token"] == Token.objects.get(user=alice).key


def test_a_failed_token_request_at_the_limit_answers_the_json_error(alice):
    for _ in range(LIMIT - 1):
        ask_token("not-the-password")

    response = ask_token("not-the-password")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_token_endpoint_is_not_locked_by_failures(alice):
    for _ in range(LIMIT):
        ask_token("not-the-password")

    assert ask_token().status_code == 200


def test_failed_token_requests_count_toward_the_admin_lockout(alice):
    for _ in range(LIMIT):
        ask_token("not-the-password")

    assert admin_log_in().status_code == 429


def test_a_token_authenticated_request_is_never_locked_out(alice):
    token = Token.objects.create(user=alice)
    lock_alice_out_of_the_admin()

    response = APIClient().get(WATCHLIST, HTTP_AUTHORIZATION=f"Token {token.key}", REMOTE_ADDR=HERE)

    assert response.status_code == 200


def test_a_session_opened_before_the_lockout_keeps_working(alice):
    session = Client()
    assert admin_log_in(client=session).status_code == 302
    lock_alice_out_of_the_admin()

    assert session.get(WATCHLIST, REMOTE_ADDR=HERE).status_code == 200
