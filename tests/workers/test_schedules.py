"""Beat's schedules and the broker's place: rows an admin edits, queues beside the cache."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from core.broker import broker_url_beside, task_time_limits
from marketdata.models import RefreshCycle
from tests.factories import PositionFactory, WatchlistItemFactory
from watchlist import tasks

refresh_schedules = importlib.import_module("watchlist.migrations.0002_refresh_schedules")


@pytest.mark.parametrize(
    ("cache", "broker"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://:secret@cache.internal:6380/4", "redis://:secret@cache.internal:6380/5"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/0"),
        ("", ""),
    ],
)
def test_the_broker_defaults_to_the_database_beside_the_caches(cache: str, broker: str) -> None:
    assert broker_url_beside(cache) == broker


def test_task_time_limits_end_a_task_before_the_broker_hands_it_out_again() -> None:
    soft, hard = task_time_limits(20)
    assert soft < hard < 20
    assert task_time_limits(settings.CELERY_VISIBILITY_TIMEOUT) == (
        settings.CELERY_TASK_SOFT_TIME_LIMIT,
        settings.CELERY_TASK_TIME_LIMIT,
    )
    assert (
        settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
    )
    with pytest.raises(ValueError, match="at least 10"):
        task_time_limits(5)


@pytest.mark.django_db
def test_the_default_schedules_are_the_readmes_cron_lines_in_new_york() -> None:
    # The data migration's rows, made again here: a transactional test run before this one
    # empties every table, migrations' data included. Making them again changes nothing.
    refresh_schedules.create_schedules(django_apps, None)
    schedules = {
        task.name: (
            task.task,
            task.crontab.minute,
            task.crontab.hour,
            task.crontab.day_of_week,
            json.loads(task.kwargs),
        )
        for task in PeriodicTask.objects.select_related("crontab").filter(task__contains="refresh")
    }
    assert sorted(schedules.values()) == [
        ("watchlist.refresh_market_data", "0", "9", "1-5", {}),
        ("watchlist.refresh_market_data", "30", "10,15", "1-5", {"force": True, "only": ["options"]}),
    ]
    assert {str(task.crontab.timezone) for task in PeriodicTask.objects.filter(task__contains="refresh")} == {
        "America/New_York"
    }


@pytest.mark.django_db
def test_beats_task_enqueues_one_cycle_of_what_is_watched_and_held(
    django_capture_on_commit_callbacks,
) -> None:
    WatchlistItemFactory.create(ticker__symbol="AAPL")
    PositionFactory.create(option=True, ticker__symbol="KO")

    # The send waits for the commit (the worker must find the row); sending is the worker tests'.
    with django_capture_on_commit_callbacks() as sends:
        cycle_id = tasks.refresh_market_data.run(force=True, only=["options"])

    cycle = RefreshCycle.objects.get(pk=cycle_id)
    assert (cycle.status, cycle.mode, cycle.symbols, cycle.force, cycle.only) == (
        "queued",
        "workers",
        ["AAPL"],
        True,
        ["options"],
    )
    assert [underlying for underlying, _ in cycle.contracts] == ["KO"]
    assert "KO" in cycle.history_also and "SPY" in cycle.history_also
    assert len(sends) == 1
