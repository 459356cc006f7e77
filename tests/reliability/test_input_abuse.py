"""Input abuse: hostile symbols, option tickers and query parameters are refused before any I/O.

Every request answers 400 (404 when the input carries a "/" and so the URL does not route)
with the JSON error body, never 500, and nothing derived from the input reaches the cache or the provider: no
market-data key is written (the only keys a refused request may leave are DRF's throttle
history) and the sandbox sees no request.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import redis
from rest_framework.test import APIClient

from tests.factories import PositionFactory, TickerFactory

pytestmark = pytest.mark.django_db

SYMBOLS = {
    "very_long": "A" * 10_000,
    "just_too_long": "ABCDEFGHIJKLMNOPQ",
    "accented": "ÄPFEL",
    "cyrillic_homoglyph": "АAPL",  # the first letter is Cyrillic
    "fullwidth": "ＡＡＰＬ",
    "zero_width_space": "AA\u200bPL",
    "emoji": "📈",
    # Unicode letters whose str.upper() is ASCII: ſ (long s) → S, ﬀ → FF, ß → SS, ı → I.
    "long_s_upper_cases_to_spy": "ſpy",
    "ligature_upper_cases_to_ff": "ﬀ",
    "sharp_s_upper_cases_to_ss": "ß",
    "dotless_i_upper_cases_to_i": "ı",
    "ideographic_space_around_aapl": "\u3000AAPL",
    "path_traversal": "../../etc/passwd",
    "encoded_traversal": "..%2F..%2Fetc%2Fpasswd",
    "dot_dot": "..",
    "sql_injection": "AAPL' OR '1'='1",
    "sql_statement": "1;DROP TABLE watchlist_ticker",
    "redis_glob": "A*",
    "redis_crlf": "AAPL\r\nFLUSHALL",
    "null_byte": "AAPL\x00",
    "template_injection": "${jndi:ldap://127.0.0.1/a}",
    "html": "<script>alert(1)</script>",
    "percent": "%",
}

OPTION_TICKERS = {
    "very_long": "O:" + "A" * 10_000,
    "arabic_indic_digits": "O:AAPL٢٦١٢١٨P٠٠٢٦٠٠٠٠",
    "fullwidth_digits": "O:AAPL２６１２１８P００２６００００",
    "accented_root": "O:ÄAPL261218P00260000",
    "redis_glob": "O:AAPL*",
    "sql_injection": "O:AAPL' OR 1=1--",
    "path_traversal": "O:../../etc/passwd",
    "null_byte": "O:AAPL261218P00260000\x00",
    "crlf": "O:AAPL261218P00260000\r\nX-Injected: 1",
    "no_such_date": "O:AAPL261332P00260000",
}


def _expected_status(raw: str) -> int:
    return 404 if "/" in raw else 400


@pytest.fixture
def known(user_a) -> dict[str, int]:
    """Tickers a valid body would name (so only the abusive field can fail) and A's position."""
    aapl = TickerFactory.create(symbol="AAPL")
    return {"position": PositionFactory.create(owner=user_a, ticker=aapl).pk}


@pytest.fixture
def assert_untouched(redis_client: redis.Redis, sandbox):
    """Assert that no market-data key was stored and the provider saw no request."""

    def check() -> None:
        stored = [key.decode(errors="replace") for key in redis_client.scan_iter("*")]
        assert [key for key in stored if not key.startswith("throttle_")] == []
        assert sandbox.control.counters()["total"] == 0

    return check


def _assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message", "details"}


SYMBOL_URLS = (
    "/api/v1/stocks/{}/",
    "/api/v1/stocks/{}/bars/",
    "/api/v1/stocks/{}/options/",
    "/api/v1/stocks/{}/signals/",
    "/api/v1/stocks/{}/earnings/",
)


@pytest.mark.parametrize("name", SYMBOLS)
def test_hostile_symbol_in_a_url_is_refused(api: APIClient, assert_untouched, name: str) -> None:
    raw = SYMBOLS[name]
    for url in SYMBOL_URLS:
        _assert_refused(api.get(url.format(quote(raw, safe=""))), _expected_status(raw))
    _assert_refused(api.delete(f"/api/v1/watchlist/{quote(raw, safe='')}/"), _expected_status(raw))
    assert_untouched()


@pytest.mark.parametrize("name", SYMBOLS)
def test_hostile_symbol_in_a_body_is_refused(api: APIClient, known, assert_untouched, name: str) -> None:
    raw = SYMBOLS[name]
    stock = {"instrument": "stock", "quantity": 1, "entry_price": 10, "strategy": "stock"}
    requests = [
        ("post", "/api/v1/watchlist/", {"symbol": raw}),
        ("post", "/api/v1/tickers/validate/", {"symbol": raw}),
        ("post", "/api/v1/positions/", stock | {"ticker": raw}),
        ("patch", f"/api/v1/positions/{known['position']}/", {"ticker": raw}),
    ]
    for method, url, body in requests:
        _assert_refused(getattr(api, method)(url, body, format="json"), 400)
    assert_untouched()


@pytest.mark.parametrize("name", SYMBOLS)
def test_hostile_symbol_in_a_query_parameter_is_refused(api: APIClient, assert_untouched, name: str) -> None:
    _assert_refused(api.get("/api/v1/positions/", {"ticker": SYMBOLS[name]}), 400)
    assert_untouched()


@pytest.mark.parametrize("name", OPTION_TICKERS)
def test_hostile_option_ticker_in_a_url_is_refused(api: APIClient, assert_untouched, name: str) -> None:
    raw = OPTION_TICKERS[name]
    _assert_refused(api.get(f"/api/v1/options/{quote(raw, safe='')}/"), _expected_status(raw))
    assert_untouched()


@pytest.mark.parametrize("name", OPTION_TICKERS)
def test_hostile_option_ticker_in_a_body_is_refused(
    api: APIClient, known, assert_untouched, name: str
) -> None:
    body = {
        "ticker": "AAPL",
        "instrument": "option",
        "option_ticker": OPTION_TICKERS[name],
        "quantity": -1,
        "entry_price": "2.35",
        "strategy": "csp",
    }
    _assert_refused(api.post("/api/v1/positions/", body, format="json"), 400)
    patch = {"option_ticker": OPTION_TICKERS[name]}
    _assert_refused(api.patch(f"/api/v1/positions/{known['position']}/", patch, format="json"), 400)
    assert_untouched()


HUGE = "9" * 5_000
QUERIES = {
    "huge_days": "/api/v1/stocks/AAPL/bars/?days=" + HUGE,
    "negative_days": "/api/v1/stocks/AAPL/bars/?days=-1",
    "repeated_days_last_bad": "/api/v1/stocks/AAPL/bars/?" + "days=30&" * 500 + "days=0",
    # Past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000): Django itself refuses the request.
    "days_repeated_past_the_field_limit": "/api/v1/stocks/AAPL/bars/?" + "days=30&" * 5_000 + "days=0",
    "huge_dte": "/api/v1/stocks/AAPL/options/?max_dte=" + HUGE,
    "float_overflow_delta": "/api/v1/stocks/AAPL/options/?min_delta=1e999",
    "nan_delta": "/api/v1/stocks/AAPL/options/?max_delta=nan",
    "injected_type": "/api/v1/stocks/AAPL/options/?type=put%27%20OR%201%3D1",
    "repeated_type_last_bad": "/api/v1/stocks/AAPL/options/?" + "type=put&" * 500 + "type=both",
    "huge_strategy": "/api/v1/stocks/AAPL/signals/?strategy=" + "x" * 100_000,
    "many_strategies_one_bad": "/api/v1/stocks/AAPL/signals/?strategy=" + "csp," * 10_000 + "wheel",
    "unicode_strategy": "/api/v1/stocks/AAPL/signals/?strategy=c%C5%BFp",
    "bad_refresh_flag": "/api/v1/stocks/AAPL/?refresh=" + "y" * 10_000,
    "repeated_refresh_last_bad": "/api/v1/stocks/AAPL/?" + "refresh=false&" * 500 + "refresh=maybe",
    "junk_parameters_past_the_field_limit": "/api/v1/stocks/AAPL/?"
    + "&".join(f"p{i}=1" for i in range(2_000)),
    "positions_status": "/api/v1/positions/?status=" + quote("open' OR 1=1--"),
    "positions_strategy": "/api/v1/positions/?strategy=" + "x" * 100_000,
}


@pytest.mark.parametrize("name", QUERIES)
def test_huge_or_repeated_query_parameters_are_refused(api: APIClient, assert_untouched, name: str) -> None:
    _assert_refused(api.get(QUERIES[name]), 400)
    assert_untouched()


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/v1/positions/-1/", "/api/v1/no-such/"])
def test_unrouted_api_urls_answer_json_404_to_any_method_with_csrf_enforced(method: str, url: str) -> None:
    # The Django test client skips CSRF checks unless told; real servers do not.
    client = APIClient(enforce_csrf_checks=True)

    _assert_refused(getattr(client, method)(url), 404)
