"""Beat's default schedules: the README's cron lines, in New York time, as rows an admin edits."""

from __future__ import annotations

import json
from typing import Any

from django.db import migrations

NEW_YORK = "America/New_York"
# (name, minute, hour, keyword arguments of watchlist.refresh_market_data)
SCHEDULES = (
    ("refresh market data: weekdays 09:00, before the open", "0", "9", {}),
    (
        "refresh option chains: weekdays 10:30 and 15:30 (today's IV snapshot)",
        "30",
        "10,15",
        {"force": True, "only": ["options"]},
    ),
)


def create_schedules(apps: Any, schema_editor: Any) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, minute, hour, kwargs in SCHEDULES:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="1-5", day_of_month="*", month_of_year="*", timezone=NEW_YORK
        )
        task_model.objects.get_or_create(
            name=name,
            defaults={"task": "watchlist.refresh_market_data", "crontab": crontab, "kwargs": json.dumps(kwargs)},
        )


def remove_schedules(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, *_ in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("watchlist", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
