"""Schemathesis against /api/schema/: every operation, authenticated, through the WSGI app.

Each operation gets a bounded number of requests generated from the schema. Every answer
must be free of server errors and use a status code, a content type, headers and a body
the schema documents for it. Symbols, option tickers and position ids drawn at random
almost never exist, so every other example is pointed at real ones (a listed symbol, a
listed contract, the user's own position) to check the 200 shapes too.

Not checked: schemathesis' `ignored_auth`, which replays requests with the credentials
passed here and so reports every operation; the authorization matrix covers it. Invalid
input is input_abuse's job (schemathesis' negative mode mostly fails to generate here).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.internal.conjecture.utils import many
from rest_framework.authtoken.models import Token
from schemathesis.checks import ALL_CHECKS
from schemathesis.models import Case

from mojo.wsgi import application
from tests.factories import PositionFactory, TickerFactory, WatchlistItemFactory
from watchlist.models import Position

SCHEMA_URL = "/api/schema/"
EXAMPLES = 15
REAL_SYMBOL = "WMT"  # small chain: quick to fetch and analyse
REAL_VALUES = {"symbol": REAL_SYMBOL, "option_ticker": "O:AAPL261218P00260000"}
CHECKS = tuple(check for check in ALL_CHECKS if check.__name__ != "ignored_auth")


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, from the generator the schema view uses."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker) -> schemathesis.BaseSchema:
    """The schema as the app serves it (Django's request signals touch the test database)."""
    if not hasattr(many, "more"):
        pytest.fail(
            "hypothesis >= 6.170.10 removed conjecture.utils.many.more(), which hypothesis-jsonschema "
            "0.23.1 (schemathesis' generator) calls: pin hypothesis<6.170.10 in pyproject.toml"
        )
    with django_db_blocker.unblock():
        return schemathesis.from_wsgi(SCHEMA_URL, application)


@pytest.fixture
def token(transactional_db) -> Iterator[str]:
    """The API token of a user with a watchlist entry and an open position."""
    ticker = TickerFactory.create(symbol=REAL_SYMBOL)
    owner = PositionFactory.create(ticker=ticker).owner
    WatchlistItemFactory.create(owner=owner, ticker=ticker)
    yield Token.objects.create(user=owner).key


def _point_at_real_things(case: Case, own_position: int) -> None:
    for name in case.path_parameters or {}:
        if name == "id":
            case.path_parameters[name] = own_position
        elif name in REAL_VALUES:
            case.path_parameters[name] = REAL_VALUES[name]
    if isinstance(case.body, dict):
        for name in ("symbol", "ticker"):
            if name in case.body:
                case.body[name] = REAL_SYMBOL


@pytest.mark.parametrize(("method", "path"), _operations())
def test_operation_answers_without_server_errors_and_as_documented(api_schema, token, method, path) -> None:
    operation = api_schema[path][method]
    own_position = Position.objects.get().pk
    examples = count()

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        if next(examples) % 2:
            _point_at_real_things(case, own_position)
        response = case.call_wsgi(headers={"Authorization": f"Token {token}"})
        case.validate_response(response, checks=CHECKS)

    check()
