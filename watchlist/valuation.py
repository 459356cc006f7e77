"""Position valuation: market value, P&L and delta of one position (pure; no Django).

Money is Decimal rounded half-up to the cent; prices are per share and every money figure
includes the multiplier. Shorts have negative quantities, so one formula covers both sides:
P&L = (price − entry) × quantity × multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

CENT = Decimal("0.01")

PriceSource = Literal["mid", "bid", "ask", "close", "entry", "expired"]


def to_cents(value: Decimal) -> Decimal:
    """Round money half-up to the cent; a loss under half a cent is 0.00, never −0.00."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0  # Decimal: −0.00 + 0 is 0.00


def _decimal(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Valuation:
    """What a position is worth now (open) or made (closed)."""

    current_price: Decimal | None
    price_source: PriceSource | None
    market_value: Decimal | None
    unrealised_pnl: Decimal | None
    unrealised_pnl_pct: Decimal | None
    realised_pnl: Decimal | None
    dte: int | None
    position_delta: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly figures (Decimals as strings keep the cents exact)."""
        return {
            "current_price": _money_str(self.current_price, places="0.0001"),
            "price_source": self.price_source,
            "market_value": _money_str(self.market_value),
            "unrealised_pnl": _money_str(self.unrealised_pnl),
            "unrealised_pnl_pct": _money_str(self.unrealised_pnl_pct),
            "realised_pnl": _money_str(self.realised_pnl),
            "dte": self.dte,
            "position_delta": _money_str(self.position_delta),
        }


def _money_str(value: Decimal | None, places: str = "0.01") -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def intrinsic_value(contract_type: str, strike: Decimal, underlying: Decimal) -> Decimal:
    """Intrinsic value per share of a call or put."""
    if contract_type == "call":
        return max(Decimal(0), underlying - strike)
    return max(Decimal(0), strike - underlying)


def _closed(*, realised_pnl: Decimal) -> Valuation:
    """A closed position: its realised P&L and nothing live."""
    return Valuation(
        current_price=None,
        price_source=None,
        market_value=None,
        unrealised_pnl=None,
        unrealised_pnl_pct=None,
        realised_pnl=realised_pnl,
        dte=None,
        position_delta=None,
    )


def value_position(
    *,
    instrument: str,
    quantity: Decimal,
    multiplier: int,
    entry_price: Decimal,
    today: date,
    exit_price: Decimal | None = None,
    contract_type: str | None = None,
    strike: Decimal | None = None,
    expiration: date | None = None,
    live_price: float | None = None,
    live_source: str | None = None,
    live_delta: float | None = None,
    underlying_close_at_expiration: float | None = None,
) -> Valuation:
    """Value one position from its live price, or its entry, or its intrinsic value at expiry."""
    size = quantity * multiplier
    if exit_price is not None:
        return _closed(realised_pnl=to_cents((exit_price - entry_price) * size))
    dte = (expiration - today).days if expiration is not None else None
    price: Decimal
    source: PriceSource
    delta: Decimal | None
    if instrument == "option" and dte is not None and dte < 0:
        # Past expiration: worth its intrinsic value at the underlying's expiration-day close.
        if underlying_close_at_expiration is not None and contract_type and strike is not None:
            price = intrinsic_value(contract_type, strike, _decimal(underlying_close_at_expiration))
            source = "expired"
        else:
            price, source = entry_price, "entry"
        delta = Decimal(0)
    elif live_price is not None and live_price > 0:
        price, source = _decimal(live_price), live_source or "close"  # type: ignore[assignment]
        delta = _decimal(live_delta) if live_delta is not None else None
    else:
        price, source = entry_price, "entry"
        delta = _decimal(live_delta) if live_delta is not None else None
    if instrument == "stock":
        delta = Decimal(1)
    pnl = (price - entry_price) * size
    cost = entry_price * abs(size)
    return Valuation(
        current_price=price,
        price_source=source,
        market_value=to_cents(price * size),
        unrealised_pnl=to_cents(pnl),
        unrealised_pnl_pct=to_cents(100 * pnl / cost) if cost else None,
        realised_pnl=None,
        dte=dte,
        position_delta=(delta * size).quantize(Decimal("0.01")) if delta is not None else None,
    )
