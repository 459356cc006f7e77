"""`make demo`'s set-up (without serving): offline data a newcomer can explore."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from marketdata import cache
from marketdata.models import IVSnapshot
from watchlist.models import Alert, Position, WatchlistItem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow  # the demo starts its own sandbox server
def test_offline_demo_seeds_user_watchlist_positions_and_warm_cache(settings, capsys) -> None:
    settings.MASSIVE_API_KEY = ""  # no key: the demo starts its own sandbox
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "offline sandbox" in out
    assert set(WatchlistItem.objects.values_list("ticker__symbol", flat=True)) == {
        "AAPL",
        "MSFT",
        "NVDA",
        "GOOGL",
        "SPY",
    }
    strategies = set(Position.objects.values_list("strategy", flat=True))
    assert {"stock", "covered_call", "csp", "leaps", "pmcc_long", "pmcc_short"} <= strategies
    # A year of demo history; today's session is then overwritten by the refresh's real reading.
    assert IVSnapshot.objects.filter(ticker="AAPL").count() == 252
    assert IVSnapshot.objects.filter(ticker="AAPL", is_demo=False).count() == 1
    assert cache.read(cache.stock_cache_key("NVDA")) is not None
    assert cache.read(cache.options_cache_key("SPY")) is not None
    # The MSFT put has earned over half its credit: its take-profit alert is open, by e-mail.
    alert = Alert.objects.get(code="take_profit")
    assert (alert.trade.ticker.symbol, alert.trade.strategy) == ("MSFT", "csp")
    assert [d.channel for d in alert.deliveries.all()] == ["email"]
    assert "Alerts: " in out


@pytest.mark.slow  # the demo starts its own sandbox server
def test_demo_password_is_generated_and_works(settings, capsys) -> None:
    settings.MASSIVE_API_KEY = ""
    call_command("demo", no_serve=True)
    call_command("demo", no_serve=True)  # a second run resets the password and keeps the data
    assert Position.objects.filter(owner__username="demo").count() == 7
    # The password is only printed when serving; the user exists and is staff for the admin.
    user = Position.objects.first().owner
    assert user.is_staff and user.is_superuser
    # The first backend (django-axes) needs the request, as every login view passes it.
    assert authenticate(RequestFactory().post("/admin/login/"), username="demo", password="wrong") is None
