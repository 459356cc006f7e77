"""`make demo`: an offline mojo a newcomer can explore within a minute.

Starts its own redis-server on a free port when REDIS_URL is unset (local-memory cache when
none can be had), the sandbox provider when MASSIVE_API_KEY is unset, migrates, creates the
demo user (password generated and printed once), seeds a watchlist, a year of demo IV
history and positions of each strategy, warms the cache with `refresh_market_data`, starts a Celery
worker and beat (real processes; without Redis the refreshes run inline) and serves on
127.0.0.1:8000.
"""

from __future__ import annotations

import logging
import signal
import subprocess
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools import demo
from devtools.localredis import LocalRedis, point_cache_at
from devtools.sandbox.server import SandboxServer
from marketdata import clock
from watchlist import selectors


class Command(BaseCommand):
    help = "Run the offline demo: Redis, sandbox, demo data, warm cache, development server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set everything up, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        # While serving, SIGTERM (a supervisor, `kill`) and SIGINT end the demo through the
        # `finally` below, so its private redis-server and sandbox stop too; SIGINT is handled
        # here because a process started in the background of a shell inherits it ignored.
        serving = not options["no_serve"]
        previous = {signum: signal.signal(signum, _stop) for signum in _STOP_SIGNALS} if serving else {}
        redis: LocalRedis | None = None
        sandbox: SandboxServer | None = None
        workers: list[subprocess.Popen[bytes]] = []
        try:
            redis = self._start_redis()
            sandbox = self._start_sandbox()
            self._offline = sandbox is not None
            self._prepare()
            if serving:
                workers = self._start_workers()
                self._announce(options["host"], options["port"])
                call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)
        finally:
            demo.processes_stop(workers)
            if sandbox is not None:
                sandbox.stop()
            if redis is not None:
                redis.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start_redis(self) -> LocalRedis | None:
        if settings.REDIS_URL:
            self.stdout.write(f"Redis: {settings.REDIS_URL}")
            return None
        try:
            redis = LocalRedis().start()
        except RuntimeError as error:
            fallback = "Running on Django's local-memory cache (one process, no sharing)."
            self.stdout.write(self.style.WARNING(f"{error}\n{fallback}"))
            return None
        point_cache_at(redis.url)
        self.stdout.write(f"Redis: started a private redis-server at {redis.url}")
        return redis

    def _start_sandbox(self) -> SandboxServer | None:
        if settings.MASSIVE_API_KEY:
            real = f"{settings.MASSIVE_BASE_URL}, {settings.FMP_BASE_URL}"
            self.stdout.write(f"Providers: the real ones ({real})")
            return None
        sandbox = SandboxServer().start()
        settings.MASSIVE_BASE_URL = settings.FMP_BASE_URL = sandbox.base_url
        settings.MASSIVE_API_KEY = settings.FMP_API_KEY = "sandbox"  # the sandbox takes any key
        self.stdout.write(f"Providers: the offline sandbox at {sandbox.base_url} (no MASSIVE_API_KEY set)")
        return sandbox

    def _start_workers(self) -> list[subprocess.Popen[bytes]]:
        """One Celery worker and beat beside the server (real processes); none without Redis."""
        if not settings.REDIS_URL:
            self.stdout.write(self.style.WARNING("Workers: none without Redis; refreshes run inline."))
            return []
        started = demo.celery_processes_start(
            {
                "REDIS_URL": settings.REDIS_URL,
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "MASSIVE_BASE_URL": settings.MASSIVE_BASE_URL,
                "FMP_BASE_URL": settings.FMP_BASE_URL,
                "MASSIVE_API_KEY": settings.MASSIVE_API_KEY,
                "FMP_API_KEY": settings.FMP_API_KEY,
            }
        )
        self.stdout.write(f"Workers: a Celery worker and beat on {settings.CELERY_BROKER_URL}")
        return started

    def _prepare(self) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        user, self._password = demo.demo_user_reset()
        self._username = user.get_username()
        demo.demo_watchlist_seed(user=user)
        if self._offline:
            seeded = demo.seed_demo_iv_history(demo.DEMO_SYMBOLS, now=clock.now())
            self.stdout.write(f"IV history: {seeded} demo observations from the sandbox's IV model")
        demo.demo_alerts_on(user=user)
        # Positions before the refresh: it then prices their contracts, and its end opens alerts.
        opened = demo.demo_positions_seed(user=user)
        if opened:
            self.stdout.write(f"Positions: opened {len(opened)} demo positions")
        # One line per upstream call is for operators; the demo shows the refresh's own progress.
        upstream = logging.getLogger("marketdata.upstream")
        level = upstream.level
        upstream.setLevel(logging.WARNING)
        try:
            call_command("refresh_market_data", concurrency=4)
        except CommandError as error:  # the demo serves what it has; the summary said what failed
            self.stdout.write(self.style.WARNING(f"refresh: {error}"))
        finally:
            upstream.setLevel(level)
        alerts = selectors.alerts_open_for(user).count()
        self.stdout.write(f"Alerts: {alerts} open (each e-mailed once: they print in the worker's log)")

    def _announce(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                "\nmojo demo is ready:\n"
                f"  admin      {base}/admin/\n"
                f"  API docs   {base}/api/docs/\n"
                f"  dashboard  {base}/admin/dashboard/ (the API's: {base}/api/v1/dashboard/)\n"
                f"  alerts     {base}/admin/watchlist/alert/\n"
                f"  signals    {base}/api/v1/stocks/AAPL/signals/\n"
                f"  username   {self._username}\n"
                f"  password   {self._password}   (generated now; shown once)\n"
            )
        )


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
