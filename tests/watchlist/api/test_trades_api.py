"""The trades API: the user's own trades only, each with every leg it held, and the ways legs change."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketdata import clock, services
from marketdata.pricing import black_scholes
from tests.factories import TickerFactory, UserFactory
from tests.shapes import assert_rounded
from watchlist.models import Position, Trade
from watchlist.trade_serializers import TradeSerializer

pytestmark = pytest.mark.django_db

TRADES = "/api/v1/trades/"
PUT_270 = "O:AAPL261218P00270000"
CALL_280 = "O:AAPL261218C00280000"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api() -> APIClient:
    TickerFactory.create(symbol="AAPL")
    return _client(UserFactory.create())


def _open_csp(api: APIClient) -> dict:
    body = {
        "underlying": "AAPL",
        "strategy": "csp",
        "legs": [
            {
                "instrument": "option",
                "option_ticker": PUT_270,
                "quantity": -1,
                "entry_price": 4.10,
                "fees": 0.65,
            }
        ],
    }
    response = api.post(TRADES, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_wheel_through_the_api_keeps_one_trade_and_its_whole_history(api) -> None:
    trade = _open_csp(api)
    (put,) = trade["legs"]
    assert (trade["strategy"], trade["status"], put["fees"]) == ("csp", "open", 0.65)

    assert trade["cost_basis_per_share"] is None  # no shares yet
    assigned = api.post(f"{TRADES}{trade['id']}/assign/", {"leg": put["id"]}, format="json").json()
    assert (assigned["id"], assigned["strategy"]) == (trade["id"], "wheel")
    assert assigned["cost_basis_per_share"] == 265.9065  # 270 − (410 − 0.65) / 100
    shares = next(leg for leg in assigned["legs"] if leg["instrument"] == "stock")
    assert (shares["quantity"], shares["entry_price"]) == (100, 270)

    call = {"instrument": "option", "option_ticker": CALL_280, "quantity": -1, "entry_price": 3.0}
    covered = api.post(f"{TRADES}{trade['id']}/roll/", {"close": [], "open": [call]}, format="json")
    assert covered.status_code == 200, covered.json()
    assert covered.json()["cost_basis_per_share"] == 262.9065  # and 3.00 more collected per share
    call_leg = next(leg for leg in covered.json()["legs"] if leg["option_ticker"] == CALL_280)
    away = api.post(f"{TRADES}{trade['id']}/assign/", {"leg": call_leg["id"]}, format="json").json()

    assert away["status"] == "closed" and len(away["legs"]) == 3
    assert (away["cost_basis_per_share"], away["realised_pnl"]) == (None, 1709.35)  # the trade's, net of fees
    # put +410, call +300, shares +1,000 (a leg's P&L leaves fees to the trade's figures)
    assert sum(leg["realised_pnl"] for leg in away["legs"]) == pytest.approx(1710.0)


def test_another_users_trade_is_a_404_everywhere(api) -> None:
    trade = _open_csp(api)
    other = _client(UserFactory.create())

    for method, path, body in (
        ("get", f"{TRADES}{trade['id']}/", None),
        ("patch", f"{TRADES}{trade['id']}/", {"notes": "mine"}),
        ("post", f"{TRADES}{trade['id']}/close/", {"exit_prices": {str(trade["legs"][0]["id"]): 1}}),
        ("post", f"{TRADES}{trade['id']}/assign/", {"leg": trade["legs"][0]["id"]}),
    ):
        assert getattr(other, method)(path, body, format="json").status_code == 404
    assert other.get(TRADES).json()["count"] == 0
    assert Position.objects.get().closed_at is None


def test_a_broken_rule_is_a_400_naming_it_and_nothing_is_written(api) -> None:
    body = {
        "underlying": "AAPL",
        "strategy": "pmcc",
        "legs": [
            {
                "instrument": "option",
                "option_ticker": "O:AAPL271217C00250000",
                "quantity": 1,
                "entry_price": 60,
            },
            {
                "instrument": "option",
                "option_ticker": "O:AAPL261218C00300000",
                "quantity": -1,
                "entry_price": 5,
            },
        ],
    }

    response = api.post(TRADES, body, format="json")

    assert response.status_code == 400
    assert "long strike + net debit" in str(response.json()["error"]["details"]["legs"])
    assert not Trade.objects.exists()


def test_trades_filter_by_status_strategy_and_underlying_and_notes_change(api) -> None:
    trade = _open_csp(api)

    assert api.get(TRADES, {"status": "open", "strategy": "csp", "underlying": "aapl"}).json()["count"] == 1
    assert api.get(TRADES, {"status": "closed"}).json()["count"] == 0
    assert api.get(TRADES, {"strategy": "bogus"}).status_code == 400
    patched = api.patch(f"{TRADES}{trade['id']}/", {"notes": "roll at 21 DTE"}, format="json").json()
    assert patched["notes"] == "roll at 21 DTE"
    closed = api.post(
        f"{TRADES}{trade['id']}/close/", {"exit_prices": {str(trade["legs"][0]["id"]): 1.05}}, format="json"
    )
    assert closed.json()["status"] == "closed"


@pytest.mark.parametrize(
    ("strategy", "legs", "expected"),
    [
        (  # one CSP: (270 − 4.10) × 100 at risk for 4.10 × 100
            "csp",
            [{"instrument": "option", "option_ticker": PUT_270, "quantity": -1, "entry_price": 4.10}],
            {"net_premium": 410.0, "max_profit": 410.0, "max_loss": 26590.0, "breakevens": [265.9]},
        ),
        (  # 100 shares at 281.50 and a 300 call sold at 4.10: called away at 300
            "covered_call",
            [
                {"instrument": "stock", "quantity": 100, "entry_price": 281.50},
                {
                    "instrument": "option",
                    "option_ticker": "O:AAPL261218C00300000",
                    "quantity": -1,
                    "entry_price": 4.10,
                },
            ],
            {"max_profit": 2260.0, "max_loss": 27740.0, "breakevens": [277.4], "cost_basis_per_share": 277.4},
        ),
        (  # bull put: 270 sold at 4.10, 260 bought at 1.60, a 2.50 credit on a 10-wide spread
            "vertical",
            [
                {"instrument": "option", "option_ticker": PUT_270, "quantity": -1, "entry_price": 4.10},
                {
                    "instrument": "option",
                    "option_ticker": "O:AAPL261218P00260000",
                    "quantity": 1,
                    "entry_price": 1.60,
                },
            ],
            {"net_premium": 250.0, "max_profit": 250.0, "max_loss": 750.0, "breakevens": [267.5]},
        ),
    ],
)
def test_a_trades_figures_are_the_hand_computed_ones(api, strategy, legs, expected) -> None:
    response = api.post(TRADES, {"underlying": "AAPL", "strategy": strategy, "legs": legs}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {name: body[name] for name in expected} == expected
    assert set(body["greeks"]) == {"delta", "gamma", "theta", "vega"}
    assert_rounded(body, TradeSerializer())


def test_a_roll_through_the_api_keeps_one_trade_with_both_legs_history(api) -> None:
    trade = _open_csp(api)
    (put,) = trade["legs"]
    later = {
        "instrument": "option",
        "option_ticker": "O:AAPL270115P00260000",
        "quantity": -1,
        "entry_price": 5.2,
    }

    rolled = api.post(
        f"{TRADES}{trade['id']}/roll/",
        {"close": [{"leg": put["id"], "exit_price": 1.05}], "open": [later]},
        format="json",
    ).json()

    assert rolled["id"] == trade["id"] and rolled["status"] == "open"
    legs = {leg["option_ticker"]: leg for leg in rolled["legs"]}
    assert (legs[PUT_270]["status"], legs[PUT_270]["exit_price"]) == ("closed", 1.05)
    assert legs["O:AAPL270115P00260000"]["status"] == "open"
    assert rolled["net_premium"] == 410 - 105 + 520 - 0.65  # both legs' premiums, the fee


def test_a_pmccs_figures_value_the_long_call_by_the_model_at_the_short_expiration(api) -> None:
    chain = services.options_chain_get("AAPL").value
    calls = [c for c in services.chain_contracts(chain) if c.contract_type == "call" and c.implied_volatility]
    near = min({c.expiration for c in calls if (c.expiration - clock.market_today()).days >= 20})
    far = max(c.expiration for c in calls)
    spot = services.stock_data_get("AAPL").value["price"]
    long = min((c for c in calls if c.expiration == far), key=lambda c: abs(c.strike - 0.8 * spot))
    short = min((c for c in calls if c.expiration == near), key=lambda c: abs(c.strike - 1.1 * spot))
    legs = [
        {
            "instrument": "option",
            "option_ticker": long.option_ticker,
            "quantity": 1,
            "entry_price": 0.6 * spot / 2,
        },
        {"instrument": "option", "option_ticker": short.option_ticker, "quantity": -1, "entry_price": 2.0},
    ]

    body = api.post(TRADES, {"underlying": "AAPL", "strategy": "pmcc", "legs": legs}, format="json").json()

    # By hand: at the short's expiration the long call is worth Black–Scholes at its IV with the
    # time it has left; the P&L over every cent of the underlying from 0 to 3× its price.
    years = (far - near).days / 365
    debit = (legs[0]["entry_price"] - legs[1]["entry_price"]) * 100

    def pnl(price: float) -> float:
        value = black_scholes(
            spot=max(price, 0.01), strike=long.strike, years=years, rate=settings.RISK_FREE_RATE,
            volatility=long.implied_volatility, contract_type="call",
        ).price  # fmt: skip
        return (value - max(price - short.strike, 0)) * 100 - debit

    grid = [pnl(cents / 100) for cents in range(1, int(3 * max(spot, short.strike) * 100))]
    assert body["max_loss"] == pytest.approx(-min(grid), abs=0.01)
    assert body["max_profit"] == pytest.approx(max(grid), abs=0.01)
    (breakeven,) = body["breakevens"]
    assert pnl(breakeven - 0.01) < 0 < pnl(breakeven + 0.01)
