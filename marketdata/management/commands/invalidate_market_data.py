"""Delete cached market data for symbols (or everything) and print how many keys went."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import MojoError
from marketdata import services


class Command(BaseCommand):
    help = "Delete the cache keys of SYMBOL … (stock, options, earnings, option prices) or --all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("symbols", nargs="*", metavar="SYMBOL")
        parser.add_argument("--all", action="store_true", help="Delete every market-data key.")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["symbols"]) == bool(options["all"]):
            raise CommandError("give SYMBOL … or --all (not both)", returncode=2)
        if options["all"]:
            deleted = services.market_data_invalidate_all()
        else:
            try:
                deleted = sum(services.symbol_invalidate(symbol) for symbol in options["symbols"])
            except MojoError as error:
                raise CommandError(error.message, returncode=2) from error
        self.stdout.write(f"deleted {deleted} key(s)")
