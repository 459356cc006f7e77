"""Admin reference data: ticker details and dividends, browsed read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from marketdata.models import Dividend
from marketdata.reference import dividends_sync, ticker_details_ensure
from tests.conftest import SANDBOX_TODAY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DETAILS = "/admin/marketdata/symboldetails/"
DIVIDENDS = "/admin/marketdata/dividend/"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_details_list_shows_each_symbols_name_and_type_and_filters_by_type(admin_client, sandbox):
    ticker_details_ensure(["AAPL", "SPY"])

    every = admin_client.get(DETAILS).content.decode()
    funds = admin_client.get(f"{DETAILS}?type=ETF").content.decode()

    assert "Apple" in every and "SPDR" in every
    assert "SPY" in funds and "AAPL" not in funds


def test_the_dividends_list_shows_the_cash_amounts_and_cannot_be_edited(admin_client, sandbox):
    dividends_sync(["AAPL"], today=SANDBOX_TODAY)
    dividend = Dividend.objects.get(symbol="AAPL", ex_dividend_date__gte=SANDBOX_TODAY)

    page = admin_client.get(DIVIDENDS).content.decode()

    assert "AAPL" in page and str(dividend.cash_amount) in page
    assert admin_client.get(f"{DIVIDENDS}add/").status_code == 403
    assert 'name="_save"' not in admin_client.get(f"{DIVIDENDS}{dividend.pk}/change/").content.decode()
    assert admin_client.get(f"{DIVIDENDS}{dividend.pk}/delete/").status_code == 403


def test_the_dividends_list_filters_by_type(admin_client):
    Dividend.objects.create(
        symbol="KO", ex_dividend_date=SANDBOX_TODAY + timedelta(days=9), cash_amount=0.51, dividend_type="CD"
    )
    Dividend.objects.create(
        symbol="PEP", ex_dividend_date=SANDBOX_TODAY + timedelta(days=9), cash_amount=3.0, dividend_type="SC"
    )

    page = admin_client.get(f"{DIVIDENDS}?dividend_type__exact=SC").content.decode()

    assert "PEP" in page and "KO" not in page
