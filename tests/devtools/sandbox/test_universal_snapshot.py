"""The universal snapshot: stocks and options in one call, each the same as its own endpoint says."""

from __future__ import annotations

import math
from datetime import datetime, time
from urllib.parse import urlsplit

import pytest
from massive.rest.models import UniversalSnapshot

from devtools.sandbox import data
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

NEW_YORK = data.NEW_YORK
UNIVERSAL = "/v3/snapshot"
STOCKS_SNAPSHOT = "/v2/snapshot/locale/us/markets/stocks/tickers"
IN_SESSION = time(11, 0)
EXPIRED = "O:AAPL200117C00150000"
NOT_FOUND_MESSAGE = "Ticker not found."


@pytest.fixture
def pin(sandbox, today):
    def _pin(at: time) -> datetime:
        moment = datetime.combine(today, at, tzinfo=NEW_YORK)
        sandbox.control.pin_now(moment)
        return moment

    return _pin


def _records(symbol, today, now=None):
    return data.chain(symbol, today, now)


EDGES = {
    "empty greeks": lambda r: r.get("greeks") == {},
    "no greeks, no IV": lambda r: "greeks" not in r,
    "a bid-only quote without an ask": lambda r: "last_quote" in r and "ask" not in r["last_quote"],
    "no quote": lambda r: "last_quote" not in r,
}


def _edge_tickers(records, *, every_edge: bool = True) -> list[str]:
    """Contracts the universal shape treats specially, and a spread of ordinary ones."""
    edges = {name: next((r for r in records if test(r)), None) for name, test in EDGES.items()}
    if every_edge:
        assert [name for name, record in edges.items() if record is None] == []
    picks = [r for r in edges.values() if r is not None] + list(records[:: max(1, len(records) // 25)])
    return list(dict.fromkeys(r["details"]["ticker"] for r in picks))


def _universal(get, tickers, **params):
    response = get(UNIVERSAL, **{"ticker.any_of": ",".join(tickers), "limit": 250, **params})
    assert response.status_code == 200, response.text
    return {result["ticker"]: result for result in response.json()["results"]}


def _assert_same_as_contract_snapshot(result: dict, contract: dict) -> None:
    details = {k: v for k, v in contract["details"].items() if k != "ticker"}
    assert result["details"] == details
    assert result["session"] == {
        k: v for k, v in contract["day"].items() if k not in ("vwap", "last_updated")
    }
    assert result["underlying_asset"] == contract["underlying_asset"]
    assert (result["open_interest"], result["break_even_price"]) == (
        contract["open_interest"],
        contract["break_even_price"],
    )
    assert result.get("greeks") == (contract.get("greeks") or None)
    assert result.get("implied_volatility") == contract.get("implied_volatility")
    quote = contract.get("last_quote")
    assert result.get("last_quote") == (None if quote is None else {"ask": 0, **quote})
    assert result.get("last_trade") == contract.get("last_trade")


# --- the official client and the wire shape --------------------------------------------


def test_official_client_gets_stocks_and_options_mixed(client, aapl_chain):
    option = aapl_chain[100].details.ticker
    snapshots = list(client.list_universal_snapshots(ticker_any_of=["MSFT", option, "AAPL"], limit=250))
    assert all(isinstance(s, UniversalSnapshot) for s in snapshots)
    assert [(s.ticker, s.type) for s in snapshots] == [
        ("AAPL", "stocks"),
        ("MSFT", "stocks"),
        (option, "options"),
    ]
    (contract,) = (s for s in snapshots if s.type == "options")
    assert contract.details.strike_price == aapl_chain[100].details.strike_price
    assert contract.session.close == aapl_chain[100].day.close


@pytest.mark.parametrize("at", [time(8, 0), IN_SESSION, time(16, 30), None], ids=str)
def test_body_validates_against_the_provider_schema(get, pin, today, at):
    now = pin(at) if at is not None else None
    tickers = ["AAPL", "BRK.B", "ZZZZQ", EXPIRED, *_edge_tickers(_records("AAPL", today, now))]
    body = get(UNIVERSAL, **{"ticker.any_of": ",".join(tickers), "limit": 250}).json()
    assert_wire_shape(body, "universal_snapshot")
    assert body["status"] == "OK" and body["request_id"]
    assert len(body["results"]) == len(tickers)


# --- options: the same values as the contract snapshot ---------------------------------


def test_option_values_are_the_contract_snapshots(get, today):
    tickers = _edge_tickers(_records("AAPL", today))
    results = _universal(get, tickers)
    for ticker in tickers:
        contract = get(f"/v3/snapshot/options/AAPL/{ticker}").json()["results"]
        _assert_same_as_contract_snapshot(results[ticker], contract)


def test_option_values_follow_the_pinned_moment_and_a_live_split(get, sandbox, pin, today):
    sandbox.control.split("KALU", 1, 2)
    now = pin(IN_SESSION)
    tickers = _edge_tickers(data.chain("KALU", today, now, splits=sandbox.state.splits), every_edge=False)
    results = _universal(get, tickers)
    for ticker in tickers:
        contract = get(f"/v3/snapshot/options/KALU/{ticker}").json()["results"]
        _assert_same_as_contract_snapshot(results[ticker], contract)
    assert {r["underlying_asset"]["price"] for r in results.values()} == {
        data.spot_at("KALU", today, now, splits=sandbox.state.splits)
    }


def test_an_option_is_priced_at_its_stocks_price_of_the_moment(get, pin, today):
    now = pin(IN_SESSION)
    option = _records("AAPL", today, now)[0]["details"]["ticker"]
    results = _universal(get, ["AAPL", option])
    assert results[option]["underlying_asset"]["price"] == results["AAPL"]["session"]["close"]


def test_an_option_is_named_and_typed_as_the_provider_does(get, today):
    record = next(r for r in _records("AAPL", today) if r["details"]["strike_price"] == 250)
    ticker = record["details"]["ticker"]
    result = _universal(get, [ticker])[ticker]
    kind = record["details"]["contract_type"].capitalize()
    assert (result["type"], result["name"]) == ("options", f"AAPL $250 {kind}")


# --- stocks: the same as the stocks snapshot -------------------------------------------


@pytest.mark.parametrize("at", [time(8, 0), IN_SESSION, None], ids=str)
def test_a_stocks_session_is_its_stocks_snapshot(get, pin, at):
    if at is not None:
        pin(at)
    result = _universal(get, ["SPY"])["SPY"]
    (snapshot,) = get(STOCKS_SNAPSHOT, tickers="SPY").json()["tickers"]
    day = snapshot["day"]
    assert result["session"] == {
        "change": snapshot["todaysChange"],
        "change_percent": snapshot["todaysChangePerc"],
        "close": day["c"],
        "high": day["h"],
        "low": day["l"],
        "open": day["o"],
        "previous_close": snapshot["prevDay"]["c"],
        "price": snapshot["lastTrade"]["p"],
        "volume": day["v"],
    }
    assert (result["last_trade"]["price"], result["last_quote"]["bid"], result["last_quote"]["ask"]) == (
        snapshot["lastTrade"]["p"],
        snapshot["lastQuote"]["p"],
        snapshot["lastQuote"]["P"],
    )
    assert (result["name"], result["type"]) == ("SPDR S&P 500 ETF Trust", "stocks")


def test_before_the_open_a_stocks_session_is_the_zero_day_priced_at_yesterdays_close(get, pin, today):
    pin(time(8, 0))
    session = _universal(get, ["AAPL"])["AAPL"]["session"]
    yesterday = data.daily_bars("AAPL", today)[-2]
    assert (session["open"], session["close"], session["volume"], session["change"]) == (0, 0, 0, 0)
    assert session["previous_close"] == session["price"] == yesterday["c"]


@pytest.mark.parametrize(
    ("at", "stocks", "options"),
    [
        (time(3, 0), "closed", "closed"),
        (time(8, 0), "early_trading", "closed"),
        (IN_SESSION, "open", "open"),
        (time(17, 0), "late_trading", "closed"),
        (time(21, 0), "closed", "closed"),
    ],
    ids=str,
)
def test_market_status_follows_the_clock(get, pin, today, at, stocks, options):
    now = pin(at)
    option = _records("AAPL", today, now)[0]["details"]["ticker"]
    results = _universal(get, ["AAPL", option])
    assert (results["AAPL"]["market_status"], results[option]["market_status"]) == (stocks, options)


# --- what it cannot answer, and the request's limits ------------------------------------


def test_unknown_tickers_come_back_as_errors_in_place(get, today):
    option = _records("AAPL", today)[0]["details"]["ticker"]
    unknown = ["ZZZZQ", EXPIRED, "O:ZZZZ261218C00100000", "O:AAPL261127C09999000", "X:BTCUSD", "aapl"]
    results = _universal(get, ["AAPL", option, *unknown])
    assert {t for t, r in results.items() if "error" not in r} == {"AAPL", option}
    for ticker in unknown:
        assert results[ticker] == {"ticker": ticker, "error": "NOT_FOUND", "message": NOT_FOUND_MESSAGE}


def test_the_official_client_keeps_the_per_ticker_errors(client):
    snapshots = list(client.list_universal_snapshots(ticker_any_of=["AAPL", "ZZZZQ"], limit=250))
    assert [(s.ticker, s.error, s.message) for s in snapshots] == [
        ("AAPL", None, None),
        ("ZZZZQ", "NOT_FOUND", NOT_FOUND_MESSAGE),
    ]


def test_251_tickers_are_a_400_and_250_are_not(get, aapl_chain):
    tickers = [c.details.ticker for c in aapl_chain[:251]]
    refused = get(UNIVERSAL, **{"ticker.any_of": ",".join(tickers)})
    assert refused.status_code == 400
    assert refused.json()["status"] == "ERROR" and refused.json()["request_id"]
    assert "250" in refused.json()["error"]
    assert get(UNIVERSAL, **{"ticker.any_of": ",".join(tickers[:250])}).status_code == 200


def test_a_limit_above_250_is_a_400(get):
    assert get(UNIVERSAL, **{"ticker.any_of": "AAPL", "limit": 251}).status_code == 400


def test_small_pages_return_every_result_exactly_once(client, sandbox, aapl_chain):
    tickers = [c.details.ticker for c in aapl_chain[:20]] + ["AAPL", "MSFT", "ZZZZQ", "KALU"]
    listed = [s.ticker for s in client.list_universal_snapshots(ticker_any_of=tickers, limit=7)]
    assert listed == sorted(tickers)
    assert sandbox.control.count("universal_snapshot") == math.ceil(len(tickers) / 7)


def test_next_url_is_absolute_and_carries_the_parameters(get, sandbox, aapl_chain):
    tickers = ["AAPL", "MSFT", "KALU", *(c.details.ticker for c in aapl_chain[:5])]
    first = get(UNIVERSAL, **{"ticker.any_of": ",".join(tickers), "type": "stocks", "limit": 2}).json()
    link = urlsplit(first["next_url"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{sandbox.base_url}{UNIVERSAL}"
    second = get(f"{link.path}?{link.query}").json()
    assert [r["ticker"] for r in first["results"] + second["results"]] == ["AAPL", "KALU", "MSFT"]
    assert "next_url" not in second


def test_the_type_filter_keeps_one_asset_class(client, aapl_chain):
    option = aapl_chain[0].details.ticker
    asked = ["AAPL", option, "ZZZZQ"]
    options = list(client.list_universal_snapshots(type="options", ticker_any_of=asked, limit=250))
    stocks = list(client.list_universal_snapshots(type="stocks", ticker_any_of=asked, limit=250))
    assert [s.ticker for s in options] == [option]
    assert [s.ticker for s in stocks] == ["AAPL", "ZZZZQ"]


def test_order_desc_reverses_the_tickers(client):
    asked = ["AAPL", "MSFT", "KALU"]
    listed = [s.ticker for s in client.list_universal_snapshots(ticker_any_of=asked, order="desc", limit=250)]
    assert listed == ["MSFT", "KALU", "AAPL"]


def test_ticker_ranges_narrow_the_answer(client):
    asked = ["AAPL", "MSFT", "KALU", "SPY"]
    listed = client.list_universal_snapshots(ticker_any_of=asked, ticker_gte="B", ticker_lt="N", limit=250)
    assert [s.ticker for s in listed] == ["KALU", "MSFT"]


def test_no_tickers_means_the_universes_stocks_ten_a_page(get):
    body = get(UNIVERSAL).json()
    assert [r["ticker"] for r in body["results"]] == sorted(data.UNIVERSE)[:10]
    assert "next_url" in body


def test_a_request_without_a_key_is_refused(get):
    assert get(UNIVERSAL, headers={}, **{"ticker.any_of": "AAPL"}).status_code == 401
