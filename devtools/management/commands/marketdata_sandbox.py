"""`manage.py marketdata_sandbox`: serve the offline provider (Massive and FMP wire formats)."""

from __future__ import annotations

import argparse
import logging
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devtools.sandbox.server import SandboxServer
from devtools.sandbox.universe import MAX_EXTRA


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date in YYYY-MM-DD format") from None


def _extra(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_EXTRA:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of symbols from 0 to {MAX_EXTRA}")
    return value


class Command(BaseCommand):
    help = (
        "Serve the offline sandbox provider on loopback until SIGINT (Ctrl-C) or SIGTERM. The first line of "
        "output is its base URL (point MASSIVE_BASE_URL and FMP_BASE_URL at it)."
    )
    requires_system_checks: list[str] = []  # the sandbox needs none of mojo's configuration

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8765, help="Port to listen on (default 8765).")
        parser.add_argument(
            "--today",
            type=_day,
            default=None,
            help="Pin the sandbox's date (YYYY-MM-DD); default: the New York date, live.",
        )
        parser.add_argument(
            "--universe",
            type=_extra,
            default=0,
            help="Serve N generated symbols besides the 57 (deterministic; default 0).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] >= 2:
            logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
        try:
            server = SandboxServer(
                host=options["host"],
                port=options["port"],
                today=options["today"],
                universe=options["universe"],
            )
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        self.stdout.write(server.base_url)
        today = options["today"].isoformat() if options["today"] else "live (New York date)"
        symbols = f"{len(server.universe)} symbols ({server.universe.extra} generated)"
        self.stdout.write(
            f"today: {today}; {symbols}; control API: {server.base_url}/__sandbox/; Ctrl-C stops it"
        )
        self.stdout.flush()
        server.serve_until_signalled()
