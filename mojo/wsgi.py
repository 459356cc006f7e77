"""WSGI entry point (gunicorn uses production settings; see Makefile)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mojo.settings.production")

application = get_wsgi_application()
