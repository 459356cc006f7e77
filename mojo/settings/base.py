"""Settings shared by every environment; every value comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from core.broker import broker_url_beside, task_time_limits
from core.cache import redis_cache
from marketdata.trade_rules import TradeRuleThresholds

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY: str = env("DJANGO_SECRET_KEY", default="")
DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_prometheus",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "marketdata",
    "watchlist",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.request_id.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out admin login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mojo.urls"
WSGI_APPLICATION = "mojo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own admin overrides (admin/base_site.html): an app's copy would lose to
        # django.contrib.admin's, which INSTALLED_APPS lists first.
        "DIRS": [BASE_DIR / "mojo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Refreshes write from several threads: take the write lock up front and wait for it,
    # rather than failing with "database is locked" when a read lock cannot be upgraded.
    # WAL: the server, workers and beat read while one of them writes (the demo's one file).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username + address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Cache -----------------------------------------------------------------------------
# Stored keys are exactly the logical keys of the spec (no ":1:" prefix), so other tools
# read them by name. Values are msgpack + zstd: compact, fast, and never pickle.
REDIS_URL: str = env("REDIS_URL", default="")
REDIS_CONNECT_TIMEOUT: float = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT: float = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)

if REDIS_URL:
    CACHES = {
        "default": redis_cache(
            REDIS_URL, connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
        )
    }
else:
    # No Redis configured: a per-process cache keeps mojo usable (demo without Redis).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "core.cache.logical_key",
            "TIMEOUT": None,
        }
    }

# --- Celery: the refresh's workers ---------------------------------------------------------
# The broker is a Redis database beside the cache's (never the cache's: a flush must not eat
# queues); its Redis must run with `maxmemory-policy noeviction` and persistence (AOF).
CELERY_BROKER_URL: str = env("CELERY_BROKER_URL", default=broker_url_beside(REDIS_URL))
CELERY_RESULT_BACKEND: str = CELERY_BROKER_URL  # chords (a cycle's finishing step) count results there
# Seconds before the broker hands an unacknowledged task to another worker; tasks end first.
CELERY_VISIBILITY_TIMEOUT: int = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = task_time_limits(CELERY_VISIBILITY_TIMEOUT)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for tasks a lost worker held every tenth of the timeout (at most a minute), not
    # kombu's default ~100 s: they run again soon after the timeout, not long after it.
    "unacked_restore_interval": min(60, max(1, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True  # a task a killed worker held runs again elsewhere
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks: one at a time per process, none hoarded
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TIMEZONE = "America/New_York"  # beat's schedules are the market's hours
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Task events (for a monitor such as Flower, or `celery events`): a message per task state, so off
# unless asked (they cost the workers CPU on every task).
CELERY_WORKER_SEND_TASK_EVENTS: bool = env.bool("CELERY_WORKER_SEND_TASK_EVENTS", default=False)
# Each worker serves its own Prometheus metrics (tasks, durations, queue depth) from its main
# process on this port; 0 = off. Two workers on one host need two ports. Loopback by default.
CELERY_METRICS_PORT: int = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDR: str = env("CELERY_METRICS_ADDR", default="127.0.0.1")

# --- REST framework ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exception_handler.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.FailOpenUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER_RATE", default="600/min"),
        "auth": env("API_THROTTLE_AUTH_RATE", default="10/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "mojo API",
    "DESCRIPTION": "Market data, option analytics and strategy signals for watchlists and positions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "watchlist.api_links.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "QuotePriceSourceEnum": ["mid", "bid", "ask", "close", "none"],
        "PositionPriceSourceEnum": ["mid", "bid", "ask", "close", "entry", "expired"],
        "StrategyEnum": "watchlist.models.Strategy",
        "TradeStrategyEnum": "watchlist.models.TradeStrategy",
        "TradeStatusEnum": "watchlist.models.TradeStatus",
        "InstrumentEnum": "watchlist.models.Instrument",
        "StockInstrumentEnum": ["stock"],
        "OptionInstrumentEnum": ["option"],
        "StockStrategyEnum": ["stock", "covered_call", "other"],
        "OptionStrategyEnum": ["leaps", "csp", "covered_call", "pmcc_long", "pmcc_short", "other"],
        "CandidateStrategyEnum": "marketdata.strategies.STRATEGIES",
        "AlertCodeEnum": "watchlist.models.AlertCode",
        "AlertChannelEnum": "watchlist.models.AlertChannel",
        "DeliveryStatusEnum": "watchlist.models.DeliveryStatus",
    },
}

# --- Providers -----------------------------------------------------------------------------
MASSIVE_API_KEY: str = env("MASSIVE_API_KEY", default="")
MASSIVE_BASE_URL: str = env("MASSIVE_BASE_URL", default="https://api.massive.com").rstrip("/")
# Massive type codes a new symbol may have (stock, ETF, ADR); others answer 400 unsupported_ticker_type.
MASSIVE_ACCEPTED_TICKER_TYPES: list[str] = env.list(
    "MASSIVE_ACCEPTED_TICKER_TYPES", default=["CS", "ETF", "ADRC"]
)
FMP_API_KEY: str = env("FMP_API_KEY", default="")
FMP_BASE_URL: str = env("FMP_BASE_URL", default="https://financialmodelingprep.com").rstrip("/")
# Rows at which an earnings-calendar answer counts as full (FMP's cap): its window is split and asked again.
FMP_EARNINGS_CALENDAR_ROW_CAP: int = env.int("FMP_EARNINGS_CALENDAR_ROW_CAP", default=3000)
PROVIDER_CONNECT_TIMEOUT: float = env.float("PROVIDER_CONNECT_TIMEOUT", default=3.0)
PROVIDER_READ_TIMEOUT: float = env.float("PROVIDER_READ_TIMEOUT", default=10.0)
# Waits between attempts (seconds); the spec's 1/2/4 list for three attempts is 1 then 2.
PROVIDER_RETRY_ATTEMPTS: int = env.int("PROVIDER_RETRY_ATTEMPTS", default=3)
PROVIDER_RETRY_WAIT: float = env.float("PROVIDER_RETRY_WAIT", default=1.0)
PROVIDER_RETRY_AFTER_CAP: float = env.float("PROVIDER_RETRY_AFTER_CAP", default=30.0)
# Total time a request path (API view, admin page) may spend on one provider call.
PROVIDER_REQUEST_BUDGET: float = env.float("PROVIDER_REQUEST_BUDGET", default=8.0)
MASSIVE_RATE_LIMIT_PER_MINUTE: int | None = env.int("MASSIVE_RATE_LIMIT_PER_MINUTE", default=None)
MASSIVE_RATE_LIMIT_WINDOW: float = env.float("MASSIVE_RATE_LIMIT_WINDOW", default=60.0)

# --- Market data -----------------------------------------------------------------------------
MARKETDATA_STALE_RETENTION: int = env.int("MARKETDATA_STALE_RETENTION", default=7 * 24 * 3600)
MARKETDATA_FETCH_CONCURRENCY: int = env.int("MARKETDATA_FETCH_CONCURRENCY", default=8)
# Seconds a decoded entry is reused in-process before asking Redis again (0 disables).
MARKETDATA_LOCAL_CACHE_SECONDS: float = env.float("MARKETDATA_LOCAL_CACHE_SECONDS", default=2.0)
# Pins mojo's clock (ISO datetime with offset); for tests and reproducible demos only.
MOJO_FROZEN_NOW: str = env("MOJO_FROZEN_NOW", default="")
# Annual risk-free rate used when mojo computes greeks the provider did not send.
RISK_FREE_RATE: float = env.float("RISK_FREE_RATE", default=0.04)

# --- Trade management: signals and alerts -------------------------------------------------
# The rules' thresholds (`marketdata.trade_rules`): one typed object, each value from the environment.
TRADE_RULES = TradeRuleThresholds(
    take_profit_pct=env.float("TRADE_TAKE_PROFIT_PCT", default=50.0),
    dte_exit_days=env.int("TRADE_DTE_EXIT_DAYS", default=21),
    put_min_extrinsic=env.float("TRADE_PUT_MIN_EXTRINSIC", default=0.05),
    expiring_itm_days=env.int("TRADE_EXPIRING_ITM_DAYS", default=1),
)
# Webhook URLs resolving to private, loopback or link-local addresses are refused unless this is
# set (tests and a receiver on the same private network); production leaves it off.
ALERT_WEBHOOK_ALLOW_PRIVATE: bool = env.bool("ALERT_WEBHOOK_ALLOW_PRIVATE", default=False)
# A delivery is tried this many times; the waits between tries double from the first, to the cap.
ALERT_DELIVERY_ATTEMPTS: int = env.int("ALERT_DELIVERY_ATTEMPTS", default=8)
ALERT_DELIVERY_RETRY_WAIT: float = env.float("ALERT_DELIVERY_RETRY_WAIT", default=30.0)
ALERT_DELIVERY_RETRY_WAIT_CAP: float = env.float("ALERT_DELIVERY_RETRY_WAIT_CAP", default=3600.0)
# Alert e-mail goes through Django's e-mail backend: an EMAIL_URL (smtp+tls://user:pass@host:587,
# consolemail:// prints it) and the sender.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL: str = env("DEFAULT_FROM_EMAIL", default="mojo <mojo@localhost>")
SERVER_EMAIL: str = DEFAULT_FROM_EMAIL

# --- Admin login lockout (django-axes) ------------------------------------------------------
# Failed logins are counted in the database per username + client address (REMOTE_ADDR, the
# peer gunicorn sees). ADMIN_LOGIN_FAILURE_LIMIT of them within the window lock that pair out
# of the admin for ADMIN_LOGIN_LOCKOUT_MINUTES after the last one; the same user from another
# address, and other users, are never blocked. Failed token requests count too, but the API
# itself is not locked (its "auth" throttle guards it) and token/session requests never are.
ADMIN_LOGIN_FAILURE_LIMIT: int = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=10)
ADMIN_LOGIN_LOCKOUT_MINUTES: int = env.int("ADMIN_LOGIN_LOCKOUT_MINUTES", default=15)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # no extra infrastructure
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOGIN_LOCKOUT_MINUTES)
# Only the admin login is locked. On the token endpoint axes could only turn a locked login
# (even with the right password) into DRF's generic 400; that endpoint has its own throttle.
AXES_ONLY_ADMIN_SITE = True
# Attempts while locked out (even with the right password) do not extend the lockout.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Whoever knows the password starts from zero again.
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = (
    "Too many failed logins for this account from your address; try again in "
    f"{ADMIN_LOGIN_LOCKOUT_MINUTES} minute{'' if ADMIN_LOGIN_LOCKOUT_MINUTES == 1 else 's'}."
)

# --- Metrics / health ------------------------------------------------------------------------
# /metrics is open unless restricted: client addresses or networks (REMOTE_ADDR, e.g.
# "10.0.0.0/8,127.0.0.1") and/or a bearer token; when both are set a scrape must pass both.
# Production closes it by default: loopback only unless either is set (production.py).
METRICS_ALLOWED_IPS: list[str] = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_BEARER_TOKEN: str = env("METRICS_BEARER_TOKEN", default="")
# Seconds /healthz waits for Redis to answer before reporting it down.
HEALTHZ_REDIS_TIMEOUT: float = env.float("HEALTHZ_REDIS_TIMEOUT", default=0.5)

# --- Logging -------------------------------------------------------------------------------
# JSON lines in production (LOG_JSON, on by default there), readable lines in development.
# Every line carries the request id; secrets are scrubbed before any formatter sees them.
# Fields passed with `extra=` (provider, endpoint, symbol, attempt, status, latency_ms on
# "marketdata.upstream") become JSON keys of their own.
LOG_LEVEL: str = env("LOG_LEVEL", default="INFO")
LOG_JSON: bool = env.bool("LOG_JSON", default=False)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.request_id.RequestIDLogFilter"},
        "redact_secrets": {"()": "core.redaction.RedactSecretsFilter"},
    },
    "formatters": {
        "readable": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "readable",
            "filters": ["request_id", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not every start and login
    },
}
