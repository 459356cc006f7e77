"""Grouped daily bars: one completed session of the whole universe, driven by the official client."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from devtools.sandbox import data
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

NEW_YORK = data.NEW_YORK
MONDAY = date(2026, 11, 23)  # the session before the pinned today (Tuesday 2026-11-24)
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{}"


def test_official_client_gets_every_symbol_of_the_session(client):
    bars = client.get_grouped_daily_aggs(MONDAY)
    assert sorted(bar.ticker for bar in bars) == sorted(data.UNIVERSE)


def test_body_validates_against_the_provider_schema(get):
    body = get(GROUPED.format(MONDAY)).json()
    assert_wire_shape(body, "grouped_daily")
    assert body["resultsCount"] == body["queryCount"] == len(body["results"]) == len(data.UNIVERSE)
    assert body["adjusted"] is True and body["status"] == "OK" and body["request_id"]


def test_t_is_the_end_of_the_window_at_four_pm_new_york_not_the_bars_midnight(client):
    stamps = {bar.timestamp for bar in client.get_grouped_daily_aggs(MONDAY)}
    assert stamps == {int(datetime.combine(MONDAY, time(16), tzinfo=NEW_YORK).timestamp() * 1000)}


def test_rows_are_the_symbols_daily_bars_of_that_session(client, today):
    grouped = {bar.ticker: bar for bar in client.get_grouped_daily_aggs(MONDAY)}
    for symbol in ("AAPL", "BRK.B", "KALU"):
        (bar,) = client.get_aggs(symbol, 1, "day", MONDAY, MONDAY)
        row = grouped[symbol]
        assert (row.open, row.high, row.low, row.close, row.volume, row.vwap, row.transactions) == (
            bar.open, bar.high, bar.low, bar.close, bar.volume, bar.vwap, bar.transactions,
        )  # fmt: skip
        assert datetime.fromtimestamp(row.timestamp / 1000, tz=NEW_YORK).date() == MONDAY


@pytest.mark.parametrize(
    "day",
    [date(2025, 11, 27), date(2026, 11, 22), date(2026, 11, 25), date(1999, 1, 4)],
    ids=["thanksgiving", "sunday", "tomorrow", "before-the-calendar"],
)
def test_a_day_without_a_completed_session_answers_no_results(get, client, day):
    body = get(GROUPED.format(day)).json()
    assert_wire_shape(body, "grouped_daily")
    assert (body["resultsCount"], body["queryCount"], "results" in body) == (0, 0, False)
    assert client.get_grouped_daily_aggs(day) == []


def test_todays_session_has_no_results_until_it_closes(sandbox, client, today):
    sandbox.control.pin_now(datetime.combine(today, time(15, 59), tzinfo=NEW_YORK))
    assert client.get_grouped_daily_aggs(today) == []
    sandbox.control.pin_now(datetime.combine(today, time(16, 1), tzinfo=NEW_YORK))
    assert len(client.get_grouped_daily_aggs(today)) == len(data.UNIVERSE)


def test_unparseable_date_is_a_400(get):
    response = get(GROUPED.format("yesterday"))
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_requests_are_counted_as_grouped_daily(sandbox, client):
    client.get_grouped_daily_aggs(MONDAY)
    client.get_grouped_daily_aggs(MONDAY, adjusted=False)
    assert sandbox.control.count("grouped_daily") == 2
    assert sandbox.control.count("aggs") == 0


def test_a_request_without_a_key_is_refused(get):
    response = get(GROUPED.format(MONDAY), headers={})
    assert response.status_code == 401
