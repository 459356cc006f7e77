"""A chain is analysed with its stock's expected dividends: the American model counts them."""

from __future__ import annotations

import pytest
from django.conf import settings

from marketdata import clock, option_analytics, payloads, services

pytestmark = pytest.mark.django_db


def test_the_chain_counts_the_dividends_the_stock_data_expects_declared_and_projected(sandbox) -> None:
    services.market_data_refresh(symbols=["KO"])  # stock data (with its dividends), then the chain
    stock = services.stock_data_get("KO").value
    chain = services.options_chain_get("KO").value
    today = clock.market_today()

    expected = payloads.dividend_pairs(stock["dividend_schedule"])
    assert expected and all(ex > today for ex, _ in expected)
    assert len(expected) > len(stock["dividends"])  # beyond the declared ones: projected
    assert payloads.chain_dividends(chain) == expected
    computed = [c for c in services.chain_analyse(chain, today=today) if c.greeks_source == "computed"]
    assert computed, "the sandbox leaves some deep contracts without greeks"
    contract = next(
        c for c in services.chain_contracts(chain) if c.option_ticker == computed[0].option_ticker
    )
    with_dividends = option_analytics.analyze_contract(
        contract, spot=chain["spot"], today=today, rate=settings.RISK_FREE_RATE, dividends=expected
    )
    assert computed[0].delta == with_dividends.delta
    long_lived = [c for c in computed if any(ex < c.expiration for ex, _ in expected)]
    assert long_lived, "some computed contracts outlive an ex-date"
    outliving = next(
        c for c in services.chain_contracts(chain) if c.option_ticker == long_lived[0].option_ticker
    )
    counted = option_analytics.analyze_contract(
        outliving, spot=chain["spot"], today=today, rate=settings.RISK_FREE_RATE, dividends=expected
    )
    ignored = option_analytics.analyze_contract(
        outliving, spot=chain["spot"], today=today, rate=settings.RISK_FREE_RATE
    )
    assert long_lived[0].delta == counted.delta != ignored.delta
