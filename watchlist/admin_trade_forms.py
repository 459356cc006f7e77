"""The forms of the trade admin's actions: close every open leg, assign one, roll some into new ones.

Each form turns what the admin typed into the service's arguments (`watchlist.trades`); the
services check every rule, and their errors are shown on the form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from watchlist.models import Instrument, Position, Trade
from watchlist.trades import LegInput


def _price(label: str | None = None, *, required: bool = True) -> forms.DecimalField:
    """A price or fee field: up to 4 decimals, not negative."""
    return forms.DecimalField(
        label=label, required=required, max_digits=12, decimal_places=4, min_value=Decimal(0)
    )


def _open_legs(trade: Trade) -> list[Position]:
    return list(
        trade.legs.filter(closed_at__isnull=True).select_related("ticker").order_by("opened_at", "pk")
    )


class TradeCloseForm(forms.Form):
    """An exit price for every open leg."""

    def __init__(self, *args: Any, trade: Trade, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for leg in _open_legs(trade):
            self.fields[f"exit_{leg.pk}"] = _price(f"Exit price of {leg}")

    def exit_prices(self) -> dict[int, Decimal]:
        """{leg id: exit price} as `trade_close` takes them."""
        return {int(name.removeprefix("exit_")): value for name, value in self.cleaned_data.items()}


class TradeAssignForm(forms.Form):
    """The open option leg assigned (short) or exercised (long)."""

    leg = forms.TypedChoiceField(coerce=int, label="Leg assigned or exercised")

    def __init__(self, *args: Any, trade: Trade, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        legs = [leg for leg in _open_legs(trade) if leg.instrument == Instrument.OPTION]
        self.fields["leg"].choices = [(leg.pk, str(leg)) for leg in legs]  # type: ignore[attr-defined]


class TradeRollForm(forms.Form):
    """Exit prices for the legs to close (blank: kept), and one new leg to open (optional)."""

    instrument = forms.ChoiceField(choices=[("", "—"), *Instrument.choices], required=False)
    option_ticker = forms.CharField(required=False, max_length=32, help_text="Options only.")
    quantity = forms.IntegerField(required=False, help_text="Negative = short.")
    entry_price = _price(required=False)
    fees = _price(required=False)

    def __init__(self, *args: Any, trade: Trade, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for leg in _open_legs(trade):
            self.fields[f"exit_{leg.pk}"] = _price(f"Close {leg} at", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get(name) not in (None, "") for name in ("instrument", "quantity", "entry_price")]
        if any(given) and not all(given):
            raise forms.ValidationError("A new leg needs its instrument, quantity and entry price.")
        return data

    def closing(self) -> dict[int, Decimal]:
        """{leg id: exit price} of the legs to close."""
        return {
            int(name.removeprefix("exit_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("exit_") and value is not None
        }

    def opening(self) -> list[LegInput]:
        """The new leg, if one was given."""
        data = self.cleaned_data
        if not data.get("instrument"):
            return []
        return [
            LegInput(
                instrument=data["instrument"],
                option_ticker=data.get("option_ticker") or None,
                quantity=data["quantity"],
                entry_price=data["entry_price"],
                fees=data.get("fees") or Decimal(0),
            )
        ]
