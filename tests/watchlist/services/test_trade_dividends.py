"""A trade's model values count its underlying's expected dividends (declared, then projected)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from marketdata import clock, presentation, services
from marketdata.reference import dividend_schedules_many
from marketdata.trade_figures import trade_figures
from tests.factories import UserFactory
from watchlist import trade_analysis
from watchlist.trades import LegInput, trade_open

pytestmark = pytest.mark.django_db


def _call(chain: dict, *, min_days: int, max_days: int) -> str:
    today = clock.market_today()
    calls = [
        c
        for c in services.chain_contracts(chain)
        if c.contract_type == "call" and min_days <= (c.expiration - today).days <= max_days and c.delta
    ]
    return min(calls, key=lambda c: abs(c.strike - chain["spot"])).option_ticker


def test_a_calendar_on_a_dividend_payer_is_valued_with_its_expected_dividends() -> None:
    services.market_data_refresh(symbols=["KO"])  # stock data, dividends, the chain
    chain = services.options_chain_get("KO").value
    near, far = _call(chain, min_days=20, max_days=60), _call(chain, min_days=365, max_days=900)
    legs = [
        LegInput(instrument="option", option_ticker=far, quantity=1, entry_price=Decimal("6.00")),
        LegInput(instrument="option", option_ticker=near, quantity=-1, entry_price=Decimal("1.00")),
    ]
    trade = trade_open(user=UserFactory.create(), symbol="KO", strategy="other", legs=legs)
    for contract in (near, far):
        services.option_price_get("KO", contract)  # cached, as a refresh leaves them

    assessed = trade_analysis.trades_assessed([trade], fetch_missing=False)

    today = clock.market_today()
    expected = dividend_schedules_many(["KO"], today=today, until=today.replace(year=today.year + 3))["KO"]
    assert expected, "KO pays dividends in the sandbox"
    figure_legs = [
        trade_analysis._figure_leg(
            leg, services.option_price_get("KO", leg.option_ticker).value, spot=chain["spot"]
        )
        for leg in trade.legs.all()
    ]
    spot = float(services.stock_data_get("KO").value["price"])
    counted = trade_figures(
        figure_legs, spot=spot, today=today, rate=settings.RISK_FREE_RATE, dividends=expected
    )
    ignored = trade_figures(figure_legs, spot=spot, today=today, rate=settings.RISK_FREE_RATE)
    assert assessed.figures[trade.pk]["max_profit"] == presentation.rounded(counted)["max_profit"]
    assert counted["max_profit"] != ignored["max_profit"]  # the long call gives up dividends
