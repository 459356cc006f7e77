"""Admin for tickers, watchlists and positions: staff see and edit every user's rows.

Forms validate through the models' `full_clean()` (the same rules as the API). Fields that
cannot change after creation are disabled on change forms rather than made admin read-only:
a disabled field stays in the form, so the constraints that mention it are still checked.
Creating a ticker (checked with the provider first) and removing a watchlist item go
through the services.

Market figures on the ticker and position pages come from the cache only, read once per
page (`market_snapshot_get(..., fetch_missing=False)`), and are hung on the page's rows: a page
never waits on the provider and shows "—" for what the cache lacks. The ticker actions
refresh and invalidate through `marketdata.services`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.errors import MojoError
from marketdata import presentation
from marketdata import services as marketdata_services
from marketdata.exceptions import InvalidSymbol, ProviderError, UnknownSymbol, UnsupportedTickerType
from marketdata.responses import StockSummary
from watchlist import (  # noqa: F401 (the trade and alert admins register themselves)
    admin_alerts,
    admin_refresh,
    admin_trades,
    portfolio,
    selectors,
    services,
)
from watchlist.admin_charts import TickerChartsAdmin
from watchlist.models import IMMUTABLE_FIELDS, Position, PositionStatus, Ticker, WatchlistItem
from watchlist.templatetags.mojo_format import price
from watchlist.valuation import Valuation

EMPTY = "—"
GAIN_COLOUR = "#1a7f37"
LOSS_COLOUR = "#ba2121"  # the admin's own error red


def _disable_on_change(form: forms.ModelForm[Any], field_names: tuple[str, ...]) -> None:
    if form.instance.pk is None:
        return
    for name in field_names:
        if name in form.fields:
            form.fields[name].disabled = True


def _signed(value: Decimal | float, text: str) -> SafeString | str:
    """`text` in green above zero, red below, plain at zero."""
    if value == 0:
        return text
    return format_html('<span style="color: {};">{}</span>', GAIN_COLOUR if value > 0 else LOSS_COLOUR, text)


# --- Tickers -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TickerMarket:
    """What the cache holds for one ticker: headline figures and earnings (None when cold)."""

    summary: StockSummary | None
    earnings: marketdata_services.EarningsInfo | None


_TICKER_MARKET = "_admin_market"
# The cached figures the ticker list shows.
_Figure = Literal["price", "sma_20", "sma_50", "sma_200", "rsi_14"]


def attach_ticker_market(tickers: Iterable[Ticker]) -> None:
    """Read the cache once for all `tickers` and hang each one's `TickerMarket` on it."""
    rows = list(tickers)
    try:
        snapshot = marketdata_services.market_snapshot_get(
            symbols=[t.symbol for t in rows], fetch_missing=False
        )
    except MojoError:  # a stored symbol that no longer normalises: show the page cold
        snapshot = marketdata_services.MarketSnapshot()
    for ticker in rows:
        market = TickerMarket(
            marketdata_services.stock_summary(ticker.symbol, snapshot), snapshot.earnings.get(ticker.symbol)
        )
        setattr(ticker, _TICKER_MARKET, market)


def ticker_market(ticker: Ticker) -> TickerMarket:
    """The ticker's cached figures: attached by the changelist, else read now (change page)."""
    if not hasattr(ticker, _TICKER_MARKET):
        attach_ticker_market([ticker])
    market: TickerMarket = getattr(ticker, _TICKER_MARKET)
    return market


class TickerForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _disable_on_change(self, ("symbol",))

    def clean(self) -> dict[str, Any]:
        """Check a new symbol with the provider (the spec's "Validate Ticker") before saving."""
        cleaned: dict[str, Any] = super().clean() or {}
        symbol = cleaned.get("symbol")
        if self.instance.pk is not None or not symbol:
            return cleaned
        try:
            services.ticker_ensure_known(symbol=symbol)
        except InvalidSymbol:
            pass  # the model's clean() puts its message on the field
        except (UnknownSymbol, UnsupportedTickerType) as error:
            self.add_error("symbol", error.message)
        except ProviderError as error:
            message = f"Could not check the symbol with the provider ({error.code}); try again."
            self.add_error("symbol", message)
        return cleaned


MARKET_FIELDS = (
    "last_price",
    "change_percent",
    "sma_20",
    "sma_50",
    "sma_200",
    "rsi_14",
    "next_earnings",
)


@admin.register(Ticker)
class TickerAdmin(TickerChartsAdmin):
    form = TickerForm
    list_display = ("symbol", "shown_name", *MARKET_FIELDS)  # when it was added: on the change page
    search_fields = ("symbol", "name")
    readonly_fields = ("created_at", *MARKET_FIELDS, "market_as_of")
    actions = ("refresh_market_data", "invalidate_cache")

    class Media:
        css = {"all": ("watchlist/admin_lists.css",)}  # compact list cells

    def get_fieldsets(self, request: HttpRequest, obj: Ticker | None = None) -> Any:
        main = (None, {"fields": ("symbol", "name", "created_at")})
        if obj is None:
            return [main]
        market = (
            "Market data (from the cache only; refresh with the list's action)",
            {"fields": (*MARKET_FIELDS, "market_as_of")},
        )
        return [main, market]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticker]:
        return super().get_queryset(request).annotate(shown_name=selectors.ticker_name())

    @admin.display(description="name", ordering="shown_name")
    def shown_name(self, obj: Ticker) -> str:
        """The name typed here, else the provider's (filled by the refresh from its ticker details)."""
        return getattr(obj, "shown_name", "") or obj.name or EMPTY

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # Evaluating the page's queryset caches its rows: the template renders these objects.
        attach_ticker_market(changelist.result_list)
        return changelist

    def save_model(self, request: HttpRequest, obj: Ticker, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # New rows come from the service alone; then the form's name is stored on that row.
        created = services.ticker_get_or_create(symbol=obj.symbol)
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False
        obj.save(update_fields=["name"])

    # --- Cached market figures ---------------------------------------------------------------------
    def _figure(self, obj: Ticker, name: _Figure) -> str:
        summary = ticker_market(obj).summary
        value = summary[name] if summary else None
        return EMPTY if value is None else price(Decimal(str(presentation.round_field(name, value))))

    @admin.display(description="last price")
    def last_price(self, obj: Ticker) -> str:
        return self._figure(obj, "price")

    @admin.display(description="change %")
    def change_percent(self, obj: Ticker) -> SafeString | str:
        summary = ticker_market(obj).summary
        value = summary["change_percent"] if summary else None
        return EMPTY if value is None else _signed(value, f"{value:+.2f} %")

    @admin.display(description="SMA 20")
    def sma_20(self, obj: Ticker) -> str:
        return self._figure(obj, "sma_20")

    @admin.display(description="SMA 50")
    def sma_50(self, obj: Ticker) -> str:
        return self._figure(obj, "sma_50")

    @admin.display(description="SMA 200")
    def sma_200(self, obj: Ticker) -> str:
        return self._figure(obj, "sma_200")

    @admin.display(description="RSI 14")
    def rsi_14(self, obj: Ticker) -> str:
        return self._figure(obj, "rsi_14")

    @admin.display(description="next earnings")
    def next_earnings(self, obj: Ticker) -> str:
        earnings = ticker_market(obj).earnings
        if earnings is None or earnings.status == "unknown":
            return EMPTY
        if earnings.next_date is None:
            return "none scheduled"
        return f"{earnings.next_date.isoformat()} (in {earnings.days_to_earnings} d)"

    @admin.display(description="stock data as of")
    def market_as_of(self, obj: Ticker) -> str:
        summary = ticker_market(obj).summary
        meta = summary["meta"] if summary else None
        if meta is None:
            return EMPTY
        return f"{meta['as_of']}{' (stale)' if meta['stale'] else ''}"

    # --- Actions -------------------------------------------------------------------------------------
    @admin.action(description="Refresh market data", permissions=["change"])
    def refresh_market_data(self, request: HttpRequest, queryset: QuerySet[Ticker]) -> None:
        """Refresh the selected symbols: on the workers when one is alive, else here within the budget."""
        symbols = list(queryset.order_by("symbol").values_list("symbol", flat=True))
        for level, text in admin_refresh.refresh_selected(symbols):
            self.message_user(request, text, level)

    @admin.action(description="Invalidate cache", permissions=["change"])
    def invalidate_cache(self, request: HttpRequest, queryset: QuerySet[Ticker]) -> None:
        """Delete the selected symbols' cached market data (stock, chain, earnings, option prices)."""
        deleted = {
            symbol: marketdata_services.symbol_invalidate(symbol)
            for symbol in queryset.order_by("symbol").values_list("symbol", flat=True)
        }
        detail = ", ".join(f"{symbol} {count}" for symbol, count in deleted.items())
        self.message_user(
            request, f"Deleted {sum(deleted.values())} cache key(s): {detail}.", messages.SUCCESS
        )


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    list_display = ("ticker", "owner", "added_at")
    list_filter = ("owner",)
    list_select_related = ("ticker", "owner")
    search_fields = ("ticker__symbol", "owner__username")
    autocomplete_fields = ("ticker",)
    readonly_fields = ("added_at",)

    def delete_model(self, request: HttpRequest, obj: WatchlistItem) -> None:
        services.watchlist_remove(user=obj.owner, symbol=obj.ticker.symbol)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WatchlistItem]) -> None:
        for item in queryset.select_related("owner", "ticker"):
            services.watchlist_remove(user=item.owner, symbol=item.ticker.symbol)


class StatusFilter(admin.SimpleListFilter):
    """Open or closed positions."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in PositionStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in PositionStatus.values:
            return queryset.filter(closed_at__isnull=self.value() == PositionStatus.OPEN)
        return queryset


class PositionForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _disable_on_change(self, IMMUTABLE_FIELDS)
        if "fees" in self.fields:
            self.fields["fees"].required = False  # none paid

    def clean_fees(self) -> Decimal:
        fees: Decimal | None = self.cleaned_data.get("fees")
        return Decimal(0) if fees is None else fees


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    form = PositionForm
    list_display = ("contract", "strategy", "qty", "current_price", "pnl", "status_display")
    list_display_links = ("contract",)
    list_filter = ("owner", "strategy", "instrument", StatusFilter)
    list_select_related = ("ticker", "owner")
    search_fields = ("ticker__symbol", "option_ticker", "owner__username", "notes")
    autocomplete_fields = ("ticker",)
    date_hierarchy = "opened_at"
    readonly_fields = ("contract_type", "strike", "expiration", "status_display")
    fieldsets = (
        (None, {"fields": ("owner", "ticker", "instrument", "option_ticker", "strategy")}),
        ("Contract (from the option ticker)", {"fields": ("contract_type", "strike", "expiration")}),
        ("Size and prices", {"fields": ("quantity", "multiplier", "entry_price", "fees", "opened_at")}),
        ("Closing", {"fields": ("closed_at", "exit_price", "status_display")}),
        (None, {"fields": ("trade", "notes")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Position | None = None) -> tuple[str, ...]:
        # A new position opens a one-leg trade of its own (`services.position_save`).
        return (*self.readonly_fields, "trade")

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        services.position_save(position=obj)

    def delete_model(self, request: HttpRequest, obj: Position) -> None:
        services.position_delete(position=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Position]) -> None:
        for position in queryset.select_related("trade"):
            services.position_delete(position=position)

    class Media:
        css = {"all": ("watchlist/admin_lists.css",)}  # compact list cells

    @admin.display(description="contract", ordering="ticker__symbol")
    def contract(self, obj: Position) -> str:
        """`AAPL` for shares, `AAPL 2026-12-18 150 call` for an option (the side is the quantity's sign)."""
        return obj.contract_label

    @admin.display(description="qty", ordering="quantity")
    def qty(self, obj: Position) -> int:
        return obj.quantity

    @admin.display(description="status", ordering="closed_at")
    def status_display(self, obj: Position) -> str:
        return obj.status

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        attach_valuations(changelist.result_list)
        return changelist

    @admin.display(description="price")
    def current_price(self, obj: Position) -> str:
        valuation = position_valuation(obj)
        if valuation is None or valuation.current_price is None or valuation.price_source == "entry":
            return EMPTY
        return f"{price(valuation.current_price)} ({valuation.price_source})"

    @admin.display(description="P&L")
    def pnl(self, obj: Position) -> SafeString | str:
        valuation = position_valuation(obj)
        if valuation is None:
            return EMPTY
        if valuation.realised_pnl is not None:
            return _signed(valuation.realised_pnl, f"{valuation.realised_pnl:+,.2f} realised")
        if valuation.unrealised_pnl is None or valuation.price_source == "entry":
            return EMPTY  # no price in the cache: the entry price would only show a made-up 0.00
        percent = valuation.unrealised_pnl_pct
        text = f"{valuation.unrealised_pnl:+,.2f}" + (f" ({percent:+.2f} %)" if percent is not None else "")
        return _signed(valuation.unrealised_pnl, text)


# --- Positions' live valuation -------------------------------------------------------------------------
_VALUATION = "_admin_valuation"


def attach_valuations(positions: Iterable[Position]) -> None:
    """Value `positions` from the cache in one round trip and hang each `Valuation` on its row."""
    rows = list(positions)
    try:
        valuations = portfolio.position_valuations(rows, fetch_missing=False)
    except MojoError:
        valuations = {}
    for position in rows:
        setattr(position, _VALUATION, valuations.get(position.pk))


def position_valuation(position: Position) -> Valuation | None:
    """The position's cached valuation: attached by the changelist, else computed now."""
    if not hasattr(position, _VALUATION):
        attach_valuations([position])
    valuation: Valuation | None = getattr(position, _VALUATION)
    return valuation
