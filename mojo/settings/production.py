"""Production settings: what `make serve` and gunicorn use."""

from __future__ import annotations

from .base import *
from .base import METRICS_ALLOWED_IPS, METRICS_BEARER_TOKEN, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
LOG_JSON = env.bool("LOG_JSON", default=True)

# TLS and cookie switches: safe defaults that `check --deploy` accepts; set them off
# explicitly only to run on plain HTTP locally (see README).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# /healthz must answer load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# /metrics is closed by default: only this host (Prometheus beside gunicorn) may scrape it,
# unless METRICS_ALLOWED_IPS or METRICS_BEARER_TOKEN says who else may. An empty list is
# not "everyone": open it on purpose with METRICS_ALLOWED_IPS=0.0.0.0/0,::/0.
if not METRICS_ALLOWED_IPS and not METRICS_BEARER_TOKEN:
    METRICS_ALLOWED_IPS = ["127.0.0.0/8", "::1"]

LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "readable"
