"""The Celery app: the refresh's tasks run on workers across hosts, with Redis as the broker.

`celery -A mojo worker` and `celery -A mojo beat -S django` (schedules are django-celery-beat
rows an admin edits). Settings are the CELERY_* ones in `mojo.settings.base`; tasks live in
each app's `tasks` module. Start workers with DJANGO_SETTINGS_MODULE set (`make worker`).
"""

from __future__ import annotations

from celery import Celery

# No DJANGO_SETTINGS_MODULE default here: this module loads with the `mojo` package, before
# wsgi.py (production) or manage.py (local) set theirs. Workers get it from the environment.
app = Celery("mojo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
