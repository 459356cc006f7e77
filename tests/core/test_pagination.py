"""Every list's `page` parameter is a whole number from 1: anything else is a 400, past the last a 404."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory, WatchlistItemFactory

pytestmark = pytest.mark.django_db

WATCHLIST = "/api/v1/watchlist/"


@pytest.fixture
def api() -> APIClient:
    user = UserFactory.create()
    WatchlistItemFactory.create(owner=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("page", ["", "abc", "0", "-1", "1.5", "²"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400(api, page) -> None:
    response = api.get(WATCHLIST, {"page": page})

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"page"}


def test_a_page_past_the_last_is_a_404_and_page_1_is_the_first(api) -> None:
    assert api.get(WATCHLIST, {"page": "1"}).json()["count"] == 1
    assert api.get(WATCHLIST, {"page": "2"}).status_code == 404
