"""Development settings: what `manage.py` uses by default."""

from __future__ import annotations

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The sandbox, the demo and a throwaway redis-server (`make demo`): never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-only-not-secret-4f1c0a9e")
