"""The stocks snapshot: today so far for the listed tickers, driven by the official client."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from devtools.sandbox import data
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

NEW_YORK = data.NEW_YORK
SNAPSHOT = "/v2/snapshot/locale/us/markets/stocks/tickers"
BEFORE_OPEN = time(8, 0)
IN_SESSION = time(11, 0)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


def _ohlcv(agg) -> tuple:
    return (agg.open, agg.high, agg.low, agg.close, agg.volume, agg.vwap)


@pytest.fixture
def pin(sandbox, today):
    def _pin(at: time) -> datetime:
        moment = datetime.combine(today, at, tzinfo=NEW_YORK)
        sandbox.control.pin_now(moment)
        return moment

    return _pin


def test_official_client_gets_the_listed_known_tickers_and_leaves_unknown_ones_out(client):
    snapshots = client.get_snapshot_all("stocks", tickers=["AAPL", "ZZZZQ", "msft", "MSFT"])
    assert [s.ticker for s in snapshots] == ["AAPL", "MSFT"]  # tickers are case-sensitive


def test_no_tickers_means_the_whole_universe(client):
    assert sorted(s.ticker for s in client.get_snapshot_all("stocks")) == sorted(data.UNIVERSE)


def test_only_unknown_tickers_answer_an_empty_list(get, client):
    body = get(SNAPSHOT, tickers="ZZZZQ").json()
    assert (body["status"], body["count"], body["tickers"]) == ("OK", 0, [])
    assert client.get_snapshot_all("stocks", tickers=["ZZZZQ"]) == []


@pytest.mark.parametrize("at", [BEFORE_OPEN, IN_SESSION, time(16, 30), None], ids=str)
def test_body_validates_against_the_provider_schema(get, pin, at):
    if at is not None:
        pin(at)
    body = get(SNAPSHOT, tickers="AAPL,AVGO,KALU").json()
    assert_wire_shape(body, "stocks_snapshot")
    assert body["count"] == len(body["tickers"]) == 3


def test_before_the_open_day_is_all_zeros_and_prev_day_is_yesterday(client, pin, today):
    pin(BEFORE_OPEN)
    (snapshot,) = client.get_snapshot_all("stocks", tickers=["AAPL"])
    yesterday = client.get_aggs("AAPL", 1, "day", today - timedelta(days=7), today)[-1]
    assert _ohlcv(snapshot.day) == (0, 0, 0, 0, 0, 0)
    assert _ohlcv(snapshot.prev_day) == _ohlcv(yesterday)
    assert snapshot.last_trade.price == yesterday.close
    assert snapshot.todays_change == 0


def test_in_session_day_is_the_partial_bar_of_the_moment(client, pin, today):
    now = pin(IN_SESSION)
    (snapshot,) = client.get_snapshot_all("stocks", tickers=["AAPL"])
    bars = client.get_aggs("AAPL", 1, "day", today - timedelta(days=7), today)
    full = data.daily_bars("AAPL", today)[-1]
    assert _ohlcv(snapshot.day) == _ohlcv(bars[-1])
    assert snapshot.day.volume < full["v"]
    assert _ohlcv(snapshot.prev_day) == _ohlcv(bars[-2])
    assert snapshot.last_trade.price == snapshot.day.close == snapshot.min.close
    assert _ns(now) - 5 * 10**9 < snapshot.last_trade.sip_timestamp <= snapshot.updated <= _ns(now)


def test_after_the_close_day_is_the_whole_session(client, today):
    (snapshot,) = client.get_snapshot_all("stocks", tickers=["MSFT"])
    bars = client.get_aggs("MSFT", 1, "day", today - timedelta(days=7), today)
    assert _ohlcv(snapshot.day) == _ohlcv(bars[-1])
    assert _ohlcv(snapshot.prev_day) == _ohlcv(bars[-2])
    close = datetime.combine(today, time(16), tzinfo=NEW_YORK)
    assert _ns(close) - 60 * 10**9 < snapshot.last_trade.sip_timestamp < _ns(close)


def test_todays_change_is_the_last_trade_against_yesterdays_close(client, pin):
    pin(IN_SESSION)
    for snapshot in client.get_snapshot_all("stocks", tickers=["AAPL", "SPY", "CAL"]):
        change = snapshot.last_trade.price - snapshot.prev_day.close
        assert snapshot.todays_change == pytest.approx(change, abs=1e-4)
        assert snapshot.todays_change_percent == pytest.approx(
            change / snapshot.prev_day.close * 100, abs=1e-3
        )


def test_quote_and_minute_bar_are_consistent_with_the_last_trade(client, pin):
    pin(IN_SESSION)
    for snapshot in client.get_snapshot_all("stocks"):
        quote, minute = snapshot.last_quote, snapshot.min
        assert 0 < quote.bid_price < quote.ask_price
        assert (
            abs(snapshot.last_trade.price - (quote.bid_price + quote.ask_price) / 2) < 0.01 * quote.ask_price
        )
        assert minute.low <= min(minute.open, minute.close) <= max(minute.open, minute.close) <= minute.high
        assert minute.accumulated_volume == int(snapshot.day.volume)


def test_requests_are_counted_as_stocks_snapshot(sandbox, client):
    client.get_snapshot_all("stocks", tickers=["AAPL"])
    assert sandbox.control.count("stocks_snapshot") == 1


def test_a_request_without_a_key_is_refused(get):
    assert get(SNAPSHOT, headers={}).status_code == 401
