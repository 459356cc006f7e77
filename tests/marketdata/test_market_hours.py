"""NYSE hours and the TTL table of the service issue."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from marketdata import market_hours

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("moment", "ttl"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=NY), 600),  # Tuesday in session
        (datetime(2026, 11, 24, 9, 0, tzinfo=NY), 1800),  # half an hour before the open
        (datetime(2026, 11, 24, 16, 30, tzinfo=NY), 3600),  # after the close
        (datetime(2026, 11, 28, 12, 0, tzinfo=NY), 3600),  # Saturday
        (datetime(2026, 11, 26, 10, 0, tzinfo=NY), 3600),  # Thanksgiving
        (datetime(2026, 11, 27, 13, 30, tzinfo=NY), 3600),  # after the 13:00 early close
        (datetime(2026, 11, 30, 9, 10, tzinfo=NY), 1200),  # Monday, 20 minutes before the open
    ],
)
def test_quote_ttl_follows_the_nyse_calendar(moment: datetime, ttl: int) -> None:
    assert market_hours.quote_ttl(moment) == ttl


def test_early_close_day_is_open_before_13_00() -> None:
    assert market_hours.is_open(datetime(2026, 11, 27, 12, 59, tzinfo=NY))


def test_evening_in_new_york_is_still_that_date_although_utc_moved_on() -> None:
    evening = datetime(2026, 11, 24, 21, 0, tzinfo=NY)  # 02:00 UTC on the 25th
    assert market_hours.market_date(evening) == date(2026, 11, 24)


def test_saturday_refresh_belongs_to_fridays_session() -> None:
    assert market_hours.latest_completed_session(datetime(2026, 11, 21, 11, 0, tzinfo=NY)) == date(
        2026, 11, 20
    )


def test_during_a_session_the_latest_completed_session_is_the_previous_one() -> None:
    assert market_hours.latest_completed_session(datetime(2026, 11, 24, 11, 0, tzinfo=NY)) == date(
        2026, 11, 23
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        market_hours.is_open(datetime(2026, 11, 24, 10, 0))
