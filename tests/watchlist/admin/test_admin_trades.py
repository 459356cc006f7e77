"""The trade admin: the payoff, figures, valued legs, signals and alerts, and roll / assign / close
through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import TickerFactory, UserFactory
from watchlist.models import Trade
from watchlist.trades import LegInput, trade_open

pytestmark = pytest.mark.django_db

PUT_270 = "O:AAPL261218P00270000"


@pytest.fixture
def csp() -> Trade:
    TickerFactory.create(symbol="AAPL")
    leg = LegInput(instrument="option", option_ticker=PUT_270, quantity=-1, entry_price=Decimal("4.10"))
    return trade_open(user=UserFactory.create(), symbol="AAPL", strategy="csp", legs=[leg])


def test_the_trade_page_shows_its_legs_figures_and_actions(staff_client, csp) -> None:
    page = staff_client.get(f"/admin/watchlist/trade/{csp.pk}/change/").content.decode()

    assert PUT_270 in page
    assert '<dd id="payoff-max-loss">26590.0 at 0.0</dd>' in page
    assert '<dd id="payoff-breakevens">265.9</dd>' in page
    assert '<dd id="payoff-max-profit">410.0 at 270.0</dd>' in page
    assert '<script id="payoff-chart-data" type="application/json">' in page
    assert (
        '<p id="trade-signals">None firing.</p>' in page and '<p id="trade-alerts">No alert yet.</p>' in page
    )
    for action in ("roll", "assign", "close"):
        assert f"/admin/watchlist/trade/{csp.pk}/{action}/" in page


def test_a_closed_trade_has_no_payoff_to_draw_and_no_actions(staff_client, csp) -> None:
    (leg,) = csp.legs.all()
    staff_client.post(f"/admin/watchlist/trade/{csp.pk}/close/", {f"exit_{leg.pk}": "1.05"})

    page = staff_client.get(f"/admin/watchlist/trade/{csp.pk}/change/").content.decode()

    assert "Every leg is closed: the outcome is settled" in page
    assert 'id="payoff-chart"' not in page and "payoff_chart.js" not in page
    assert f"/admin/watchlist/trade/{csp.pk}/roll/" not in page


def test_closing_from_the_admin_closes_every_leg_through_the_service(staff_client, csp) -> None:
    (leg,) = csp.legs.all()

    response = staff_client.post(f"/admin/watchlist/trade/{csp.pk}/close/", {f"exit_{leg.pk}": "1.05"})

    assert response.status_code == 302
    csp.refresh_from_db()
    assert csp.status == "closed" and csp.legs.get().exit_price == Decimal("1.05")


def test_assigning_from_the_admin_makes_the_csp_a_wheel(staff_client, csp) -> None:
    (leg,) = csp.legs.all()

    staff_client.post(f"/admin/watchlist/trade/{csp.pk}/assign/", {"leg": str(leg.pk)})

    csp.refresh_from_db()
    assert csp.strategy == "wheel" and csp.legs.filter(instrument="stock", quantity=100).exists()


def test_a_roll_the_service_refuses_shows_why_and_writes_nothing(staff_client, csp) -> None:
    (leg,) = csp.legs.all()
    # A new leg on another underlying's contract: the model refuses it.
    form = {f"exit_{leg.pk}": "1.00", "instrument": "option", "option_ticker": "O:MSFT261218P00400000",
            "quantity": "-1", "entry_price": "5.00"}  # fmt: skip

    response = staff_client.post(f"/admin/watchlist/trade/{csp.pk}/roll/", form)

    assert response.status_code == 200
    assert "is not an option root of AAPL" in response.content.decode()
    assert csp.legs.get().closed_at is None and csp.legs.count() == 1
