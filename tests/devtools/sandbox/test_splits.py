"""Stock splits: the reference endpoint, AVGO's split inside the history, and splits made today.

AVGO's 10-for-1 of 2024-07-15 is in the generated history; `control.split` makes one happen
on the sandbox's today. Adjusted prices (the default) are continuous; `adjusted=false` shows
the jump.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from devtools.sandbox import data, splits
from devtools.sandbox.splits import Split
from tests.devtools.sandbox.wire_shapes import assert_wire_shape

SPLITS = "/v3/reference/splits"
EXECUTION = date(2024, 7, 15)  # AVGO's split: a Monday
BEFORE = date(2024, 7, 12)  # the session before it
MONDAY = date(2026, 11, 23)  # the session before the pinned today


def _closes(client, symbol: str, start: date, end: date, *, adjusted: bool = True) -> dict[date, float]:
    bars = client.get_aggs(symbol, 1, "day", start, end, adjusted=adjusted)
    return {data.session_of(bar.timestamp): bar.close for bar in bars}


# --- the reference endpoint ------------------------------------------------------------


def test_official_client_lists_avgos_split(client):
    (split,) = client.list_splits(ticker="AVGO")
    assert (split.ticker, split.execution_date, split.split_from, split.split_to) == (
        "AVGO",
        "2024-07-15",
        1,
        10,
    )
    assert split.id.startswith("E")


def test_body_validates_against_the_provider_schema(get, sandbox):
    sandbox.control.split("KALU", 1, 2)
    body = get(SPLITS, limit=1).json()
    assert_wire_shape(body, "splits")
    assert body["status"] == "OK" and body["request_id"]


def test_filters_select_by_ticker_and_execution_date(client, sandbox):
    sandbox.control.split("KALU", 1, 3)
    assert [s.ticker for s in client.list_splits(ticker="AAPL")] == []
    assert [s.ticker for s in client.list_splits(execution_date=EXECUTION)] == ["AVGO"]
    assert [s.ticker for s in client.list_splits(execution_date_gt=EXECUTION)] == ["KALU"]
    assert [s.ticker for s in client.list_splits(execution_date_lte=EXECUTION)] == ["AVGO"]
    assert [s.ticker for s in client.list_splits(ticker_gte="B")] == ["KALU"]
    assert [s.ticker for s in client.list_splits(reverse_split=True)] == []


def test_newest_first_by_default_and_order_asc_reverses(client, sandbox):
    sandbox.control.split("KALU", 1, 2)
    assert [s.ticker for s in client.list_splits()] == ["KALU", "AVGO"]
    assert [s.ticker for s in client.list_splits(order="asc")] == ["AVGO", "KALU"]
    assert [s.ticker for s in client.list_splits(sort="ticker", order="asc")] == ["AVGO", "KALU"]


def test_pages_follow_absolute_next_url_cursors(client, sandbox, get):
    for symbol in ("KALU", "PLOW", "CAL"):
        sandbox.control.split(symbol, 1, 2)
    next_url = get(SPLITS, limit=2, order="asc").json()["next_url"]
    assert next_url.startswith(f"{sandbox.base_url}{SPLITS}?cursor=")
    listed = list(client.list_splits(limit=1, order="asc"))
    assert [s.ticker for s in listed] == ["AVGO", "CAL", "KALU", "PLOW"]  # same day: by ticker
    assert sandbox.control.count("splits") == 1 + 4


def test_a_bad_date_filter_is_a_400(get):
    response = get(SPLITS, **{"execution_date.gte": "last-week"})
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_a_request_without_a_key_is_refused(get):
    assert get(SPLITS, headers={}).status_code == 401


# --- AVGO's split inside the history -----------------------------------------------------


def test_adjusted_history_has_no_crash_at_the_split(client):
    closes = _closes(client, "AVGO", BEFORE, EXECUTION)
    assert 0.75 < closes[EXECUTION] / closes[BEFORE] < 1.33


def test_raw_history_shows_the_ten_for_one_jump(client):
    raw = _closes(client, "AVGO", BEFORE, EXECUTION, adjusted=False)
    assert 7.5 < raw[BEFORE] / raw[EXECUTION] < 13.3


def test_raw_bars_are_the_adjusted_ones_times_the_ratio_before_the_split_only(client):
    start, end = EXECUTION - timedelta(days=30), EXECUTION + timedelta(days=30)
    adjusted = client.get_aggs("AVGO", 1, "day", start, end)
    raw = client.get_aggs("AVGO", 1, "day", start, end, adjusted=False)
    for a, r in zip(adjusted, raw, strict=True):
        before = data.session_of(a.timestamp) < EXECUTION
        assert r.close == pytest.approx(a.close * (10 if before else 1))
        assert r.volume == pytest.approx(a.volume / (10 if before else 1), abs=1)


def test_grouped_daily_serves_the_split_symbol_adjusted_unless_told_otherwise(client):
    adjusted = {bar.ticker: bar.close for bar in client.get_grouped_daily_aggs(BEFORE)}
    raw = {bar.ticker: bar.close for bar in client.get_grouped_daily_aggs(BEFORE, adjusted=False)}
    (aggs_bar,) = client.get_aggs("AVGO", 1, "day", BEFORE, BEFORE)
    assert adjusted["AVGO"] == aggs_bar.close
    assert raw["AVGO"] == pytest.approx(10 * adjusted["AVGO"])
    assert raw["AAPL"] == adjusted["AAPL"]


def test_avgos_chain_is_priced_at_its_adjusted_spot(client, today):
    latest = client.get_aggs("AVGO", 1, "day", today - timedelta(days=7), today)[-1]
    contracts = list(
        client.list_snapshot_options_chain("AVGO", params={"limit": 250, "contract_type": "call"})
    )
    assert {c.underlying_asset.price for c in contracts} == {latest.close}
    strikes = [c.details.strike_price for c in contracts]
    assert min(strikes) < latest.close < max(strikes)


def test_before_the_split_date_avgo_trades_at_its_pre_split_level_and_lists_no_split():
    early = date(2024, 6, 3)
    walk = data.daily_bars("AVGO", date(2026, 11, 24))
    then = data.daily_bars("AVGO", early)
    by_t = {bar["t"]: bar["c"] for bar in walk}
    assert then[-1]["c"] == pytest.approx(10 * by_t[then[-1]["t"]])
    assert data.spot_at("AVGO", early) == then[-1]["c"]
    assert splits.executed(early) == []


# --- a split made today through the control API ---------------------------------------


def test_control_split_is_listed_with_todays_execution_date(sandbox, client, today):
    assert sandbox.control.split("KALU", 1, 4) == today
    (split,) = client.list_splits(ticker="KALU")
    assert (split.execution_date, split.split_from, split.split_to) == (today.isoformat(), 1, 4)


def test_control_split_adjusts_the_whole_history(sandbox, client, today):
    start = today - timedelta(days=10)
    before = _closes(client, "KALU", start, today)
    sandbox.control.split("KALU", 1, 4)
    after = _closes(client, "KALU", start, today)
    assert after == pytest.approx({day: close / 4 for day, close in before.items()}, abs=1e-4)


def test_control_split_shows_the_jump_today_in_raw_bars(sandbox, client, today):
    start = today - timedelta(days=10)
    before = _closes(client, "KALU", start, today)
    sandbox.control.split("KALU", 1, 4)
    raw = _closes(client, "KALU", start, today, adjusted=False)
    assert {day: raw[day] for day in raw if day < today} == {
        day: before[day] for day in before if day < today
    }
    assert raw[today] == pytest.approx(before[today] / 4, abs=1e-4)


def test_control_split_reaches_grouped_daily_and_the_snapshot(sandbox, client):
    grouped = {bar.ticker: bar.close for bar in client.get_grouped_daily_aggs(MONDAY)}
    (snapshot,) = client.get_snapshot_all("stocks", tickers=["KALU"])
    sandbox.control.split("KALU", 1, 4)
    grouped_after = {bar.ticker: bar.close for bar in client.get_grouped_daily_aggs(MONDAY)}
    raw_after = {bar.ticker: bar.close for bar in client.get_grouped_daily_aggs(MONDAY, adjusted=False)}
    (snapshot_after,) = client.get_snapshot_all("stocks", tickers=["KALU"])
    assert grouped_after["KALU"] == pytest.approx(grouped["KALU"] / 4, abs=1e-4)
    assert raw_after["KALU"] == grouped["KALU"]
    assert snapshot_after.prev_day.close == pytest.approx(snapshot.prev_day.close / 4, abs=1e-4)
    assert snapshot_after.todays_change_percent == pytest.approx(snapshot.todays_change_percent, abs=0.01)


def test_control_split_reprices_the_chain_and_earnings_per_share(sandbox, client, get, today):
    eps = get("/stable/earnings", symbol="KALU", apikey="k").json()[-1]["epsEstimated"]
    sandbox.control.split("KALU", 1, 4)
    latest = client.get_aggs("KALU", 1, "day", today - timedelta(days=7), today)[-1]
    contracts = list(client.list_snapshot_options_chain("KALU", params={"limit": 250}))
    assert {c.underlying_asset.price for c in contracts} == {latest.close}
    assert get("/stable/earnings", symbol="KALU", apikey="k").json()[-1]["epsEstimated"] == pytest.approx(
        eps / 4, abs=0.01
    )


def test_reset_undoes_the_control_split(sandbox, client, today):
    start = today - timedelta(days=10)
    before = _closes(client, "KALU", start, today)
    sandbox.control.split("KALU", 1, 4)
    sandbox.control.reset()
    assert [s.ticker for s in client.list_splits()] == ["AVGO"]
    assert _closes(client, "KALU", start, today) == before


def test_control_split_refuses_an_unknown_symbol(sandbox):
    with pytest.raises(requests.HTTPError, match="400"):
        sandbox.control.split("ZZZZQ", 1, 2)


def test_splits_applied_on_the_way_out_leave_the_cached_bars_alone(today):
    before = data.daily_bars("KALU", today)
    live = (Split("KALU", today, 1, 4, live=True),)
    split = data.daily_bars("KALU", today, splits=live)
    assert split[-1]["c"] != before[-1]["c"]
    assert data.daily_bars("KALU", today) == before
    assert data.grouped_daily(MONDAY, today, splits=live) != data.grouped_daily(MONDAY, today)
