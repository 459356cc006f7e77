"""Development settings: what `manage.py` uses by default."""

from __future__ import annotations

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-only-not-secret-4f1c0a9e")
