"""Test settings: what pytest uses (see pyproject). The suite starts its own Redis."""

from __future__ import annotations

from .base import *
from .base import REDIS_URL, env

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # the sandbox and its command
if not REDIS_URL:
    # Tests ask for Redis per folder (tests/conftest.py); a cache call before that is a bug.
    CACHES = {"default": {"BACKEND": "devtools.cache_guard.RefusingCache"}}
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PROVIDER_RETRY_WAIT = env.float("PROVIDER_RETRY_WAIT", default=0.0)
# Tests drive Redis directly (stop it, delete keys): no in-process layer unless a test asks.
MARKETDATA_LOCAL_CACHE_SECONDS = env.float("MARKETDATA_LOCAL_CACHE_SECONDS", default=0.0)
MASSIVE_API_KEY = env("MASSIVE_API_KEY", default="test-massive-key")
FMP_API_KEY = env("FMP_API_KEY", default="test-fmp-key")
# Serve static files from the apps (finders), never from a STATIC_ROOT that other processes
# (collectstatic in the serving tests) may be rewriting.
STATIC_ROOT = BASE_DIR / ".test-staticfiles"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
