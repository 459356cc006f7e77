"""The admin login locks a username + address pair after repeated failures (django-axes).

No Redis: axes counts failures in the database, and the admin login touches no cache.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
HERE = "203.0.113.5"
ELSEWHERE = "198.51.100.7"
LIMIT = 3  # the tests lower the limit of 10; the default itself is asserted below
MESSAGE = "Too many failed logins for this account from your address; try again in 15 minutes."


@pytest.fixture(autouse=True)
def _small_limit(settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def alice():
    return UserFactory.create(username="alice", is_staff=True)


@pytest.fixture
def bob():
    return UserFactory.create(username="bob", is_staff=True)


def log_in(username: str, password: str = PASSWORD, address: str = HERE):
    return Client().post(
        f"{LOGIN}?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(username: str, times: int = LIMIT, address: str = HERE) -> None:
    for _ in range(times):
        log_in(username, "not-the-password", address)


def test_by_default_10_failures_lock_a_username_and_address_pair_for_15_minutes():
    from mojo.settings import base

    defaults = (base.AXES_LOCKOUT_PARAMETERS, base.AXES_FAILURE_LIMIT, base.AXES_COOLOFF_TIME)

    assert defaults == ([["username", "ip_address"]], 10, timedelta(minutes=15))


def test_failures_are_counted_in_the_database(alice):
    fail("alice", times=2)

    assert AccessAttempt.objects.get(username="alice", ip_address=HERE).failures_since_start == 2


def test_the_right_password_logs_in_below_the_limit(alice):
    fail("alice", times=LIMIT - 1)

    assert log_in("alice").status_code == 302


def test_the_failure_that_reaches_the_limit_answers_the_lockout(alice):
    fail("alice", times=LIMIT - 1)

    assert log_in("alice", "not-the-password").status_code == 429


def test_a_locked_pair_is_refused_even_with_the_right_password(alice):
    fail("alice")

    response = log_in("alice")

    assert response.status_code == 429
    assert "_auth_user_id" not in response.client.session


def test_the_lockout_answer_says_why_and_for_how_long(alice):
    fail("alice")

    assert log_in("alice").content.decode() == MESSAGE


def test_a_locked_pair_does_not_block_the_same_user_from_another_address(alice):
    fail("alice")

    assert log_in("alice", address=ELSEWHERE).status_code == 302


def test_a_locked_pair_does_not_block_another_user_from_the_same_address(alice, bob):
    fail("alice")

    assert log_in("bob").status_code == 302


def test_the_pair_unlocks_once_the_lockout_window_has_passed(alice, settings):
    fail("alice")
    # Move the failures back past the window instead of waiting for it.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert log_in("alice").status_code == 302


def test_attempts_during_the_lockout_do_not_extend_it(alice, settings):
    fail("alice")
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )
    log_in("alice", "not-the-password")  # refused while locked, not counted
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=2))

    assert log_in("alice").status_code == 302


def test_a_successful_login_starts_the_count_again(alice):
    fail("alice", times=LIMIT - 1)
    log_in("alice")
    fail("alice", times=LIMIT - 1)

    assert log_in("alice").status_code == 302
