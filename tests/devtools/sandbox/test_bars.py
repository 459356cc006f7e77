"""Daily bars: Massive's aggregates endpoint on real NYSE sessions, driven by the official client."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import exchange_calendars
import pytest

from devtools.sandbox import data

NEW_YORK = data.NEW_YORK
THANKSGIVING_2025 = date(2025, 11, 27)


def _session(timestamp_ms: int) -> date:
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=NEW_YORK).date()


@pytest.fixture
def aapl_bars(client, today):
    return client.get_aggs("AAPL", 1, "day", today - timedelta(days=6 * 365), today)


def test_bars_fall_exactly_on_nyse_sessions(aapl_bars, today):
    calendar = exchange_calendars.get_calendar("XNYS", start="2019-01-01", end="2027-12-31")
    first = _session(aapl_bars[0].timestamp)
    expected = [ts.date() for ts in calendar.sessions_in_range(first.isoformat(), today.isoformat())]
    assert [_session(bar.timestamp) for bar in aapl_bars] == expected


def test_thanksgiving_and_weekends_have_no_bar(aapl_bars):
    sessions = {_session(bar.timestamp) for bar in aapl_bars}
    assert THANKSGIVING_2025 not in sessions
    assert date(2025, 11, 28) in sessions  # the half day after it trades
    assert not any(day.weekday() >= 5 for day in sessions)


def test_about_five_years_of_bars_end_on_today(aapl_bars, today):
    assert len(aapl_bars) >= 1260
    assert _session(aapl_bars[-1].timestamp) == today


def test_bars_ascend_and_start_at_new_york_midnight(aapl_bars):
    stamps = [bar.timestamp for bar in aapl_bars]
    assert stamps == sorted(set(stamps))
    assert all(datetime.fromtimestamp(t / 1000, tz=NEW_YORK).time().hour == 0 for t in stamps)


def test_ohlc_is_consistent(aapl_bars):
    for bar in aapl_bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.low <= bar.vwap <= bar.high
        assert bar.volume > 0 and bar.transactions > 0


def test_the_walk_has_regimes_with_real_swings(aapl_bars):
    closes = [bar.close for bar in aapl_bars]
    yearly = [max(closes[i : i + 252]) / min(closes[i : i + 252]) for i in range(0, len(closes) - 252, 252)]
    assert all(ratio > 1.15 for ratio in yearly)  # every year moves; none is a flat line


def test_a_window_returns_only_its_sessions(client):
    bars = client.get_aggs("MSFT", 1, "day", "2025-11-20", "2025-12-02")
    sessions = [_session(bar.timestamp) for bar in bars]
    assert sessions == [
        date(2025, 11, 20), date(2025, 11, 21), date(2025, 11, 24), date(2025, 11, 25),
        date(2025, 11, 26), date(2025, 11, 28), date(2025, 12, 1), date(2025, 12, 2),
    ]  # fmt: skip


def test_millisecond_bounds_select_the_same_window(client):
    start = int(datetime(2025, 11, 20, tzinfo=NEW_YORK).timestamp() * 1000)
    end = int(datetime(2025, 12, 2, 23, 0, tzinfo=NEW_YORK).timestamp() * 1000)
    by_ms = client.get_aggs("MSFT", 1, "day", start, end)
    by_date = client.get_aggs("MSFT", 1, "day", "2025-11-20", "2025-12-02")
    assert by_ms == by_date


def test_sort_desc_and_limit_are_honoured(client, today):
    bars = client.get_aggs("NVDA", 1, "day", "2026-01-01", today, sort="desc", limit=5)
    stamps = [bar.timestamp for bar in bars]
    assert len(stamps) == 5
    assert stamps == sorted(stamps, reverse=True)
    assert _session(stamps[0]) == today


def test_wire_body_has_the_recorded_fields(get, today):
    body = get(f"/v2/aggs/ticker/AAPL/range/1/day/2026-11-20/{today}").json()
    assert body["ticker"] == "AAPL"
    assert body["status"] == "OK"
    assert body["adjusted"] is True
    assert body["resultsCount"] == body["queryCount"] == len(body["results"]) == 3
    assert set(body["results"][0]) == {"o", "h", "l", "c", "v", "vw", "t", "n"}


def test_unknown_symbol_answers_ok_with_no_results_key(get, today):
    response = get(f"/v2/aggs/ticker/ZZZZQ/range/1/day/2026-01-01/{today}")
    body = response.json()
    assert response.status_code == 200
    assert "results" not in body
    assert {k: body[k] for k in ("ticker", "queryCount", "resultsCount", "adjusted", "status")} == {
        "ticker": "ZZZZQ", "queryCount": 0, "resultsCount": 0, "adjusted": True, "status": "OK",
    }  # fmt: skip
    assert body["request_id"]


def test_official_client_gives_no_bars_for_unknown_symbol(client, today):
    assert client.get_aggs("ZZZZQ", 1, "day", "2026-01-01", today) == []


def test_class_shares_are_served_with_their_dot(client, today):
    assert len(client.get_aggs("BRK.B", 1, "day", "2026-11-01", today)) == 17


def test_a_and_aapl_are_different_symbols(client, today):
    agilent = client.get_aggs("A", 1, "day", "2026-11-01", today)
    apple = client.get_aggs("AAPL", 1, "day", "2026-11-01", today)
    assert [bar.close for bar in agilent] != [bar.close for bar in apple]


def test_unparseable_bound_is_a_400(get):
    response = get("/v2/aggs/ticker/AAPL/range/1/day/yesterday/2026-11-24")
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_history_does_not_depend_on_the_pinned_today():
    earlier = data.daily_bars("AAPL", date(2026, 6, 1))
    later = {bar["t"]: bar for bar in data.daily_bars("AAPL", date(2026, 11, 24))}
    assert all(later[bar["t"]] == bar for bar in earlier if bar["t"] in later)


def test_during_the_session_today_has_a_partial_bar():
    today = date(2026, 11, 24)
    full = data.daily_bars("AAPL", today)[-1]
    partial = data.daily_bars("AAPL", today, now=datetime(2026, 11, 24, 11, 0, tzinfo=NEW_YORK))[-1]
    assert partial["t"] == full["t"]
    assert partial["o"] == full["o"]
    assert partial["v"] < full["v"]
    assert partial["l"] <= min(partial["o"], partial["c"]) <= max(partial["o"], partial["c"]) <= partial["h"]


def test_before_the_open_today_has_no_bar_yet():
    today = date(2026, 11, 24)
    bars = data.daily_bars("AAPL", today, now=datetime(2026, 11, 24, 8, 0, tzinfo=NEW_YORK))
    assert _session(bars[-1]["t"]) == date(2026, 11, 23)
