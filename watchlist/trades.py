"""Writes for trades: open with legs, roll, assign or exercise, close, and the legs that expire.

Each service validates everything before it writes and runs in one transaction: a broken rule
is a ValidationError naming it (the API answers 400) and nothing is written. A trade keeps
every leg it ever held; it closes when its last leg closes (`services.trade_dates_sync`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from marketdata import clock, market_hours
from marketdata import services as marketdata_services
from watchlist import leg_rules
from watchlist.models import DEFAULT_OPTION_MULTIPLIER, Instrument, Position, Strategy, Trade, TradeStrategy
from watchlist.services import position_save, ticker_ensure_known, ticker_get_or_create, trade_dates_sync

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# OCC's exercise by exception: an option this far in the money at expiration is exercised.
EXERCISE_BY_EXCEPTION = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LegInput:
    """A leg to open: shares (no option ticker) or an option contract; quantity signed (− short)."""

    instrument: str
    quantity: int
    entry_price: Decimal
    option_ticker: str | None = None
    fees: Decimal = Decimal(0)
    multiplier: int | None = None
    opened_at: datetime | None = None


# An option leg's own tag (`Position.strategy`) under its trade's strategy; the wheel and the
# PMCC tag by the leg (a put or call; the long or short side), the rest are `other`.
_OPTION_LEG_STRATEGY: dict[str, str] = {
    TradeStrategy.CSP: Strategy.CSP,
    TradeStrategy.LEAPS: Strategy.LEAPS,
    TradeStrategy.COVERED_CALL: Strategy.COVERED_CALL,
}


def _leg_strategy(trade_strategy: str, leg: Position) -> str:
    """The leg's own tag (`Position.strategy`) under its trade's strategy."""
    if leg.instrument == Instrument.STOCK:
        return Strategy.STOCK if trade_strategy == TradeStrategy.STOCK else Strategy.COVERED_CALL
    if trade_strategy == TradeStrategy.WHEEL:
        return Strategy.CSP if leg.contract_type == "put" else Strategy.COVERED_CALL
    if trade_strategy == TradeStrategy.PMCC:
        return Strategy.PMCC_SHORT if leg.quantity < 0 else Strategy.PMCC_LONG
    return _OPTION_LEG_STRATEGY.get(trade_strategy, Strategy.OTHER)


def _new_leg(trade: Trade, given: LegInput, *, at: datetime) -> Position:
    leg = Position(
        owner=trade.owner,
        trade=trade,
        ticker=trade.ticker,
        instrument=given.instrument,
        option_ticker=given.option_ticker,
        quantity=given.quantity,
        entry_price=given.entry_price,
        fees=given.fees,
        opened_at=given.opened_at or at,
    )
    if given.multiplier is not None:
        leg.multiplier = given.multiplier
    leg.strategy = Strategy.OTHER  # set for real once clean() has parsed the contract
    return leg


def _validated_legs(trade: Trade, legs: Sequence[LegInput], *, at: datetime) -> list[Position]:
    """The legs as positions, each checked by the model; errors filed as `legs[i].field`."""
    made: list[Position] = []
    errors: dict[str, list[str]] = {}
    for index, given in enumerate(legs):
        leg = _new_leg(trade, given, at=at)
        try:
            leg.full_clean(exclude=["trade", "strategy"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"legs[{index}].{field}"] = messages
        else:
            leg.strategy = _leg_strategy(trade.strategy, leg)
            made.append(leg)
    if errors:
        raise ValidationError(errors)
    return made


def _rule_errors(strategy: str, legs: Sequence[Position], *, today: date) -> list[str]:
    specs = [
        leg_rules.LegSpec(leg.option, leg.quantity, leg.multiplier or 1, leg.entry_price) for leg in legs
    ]
    return leg_rules.strategy_errors(
        strategy, specs, dte=lambda spec: (spec.option.expiration - today).days if spec.option else 0
    )


def trade_open(
    *,
    user: User,
    symbol: str,
    strategy: str,
    legs: Sequence[LegInput],
    notes: str = "",
    opened_at: datetime | None = None,
) -> Trade:
    """Open a trade with its legs at their entry prices, held to the strategy's leg rules."""
    symbol = ticker_ensure_known(symbol=symbol)  # may wait on the provider: outside the transaction
    at = opened_at or clock.now()
    if strategy not in TradeStrategy.values:
        raise ValidationError({"strategy": f"Strategy is one of: {', '.join(TradeStrategy.values)}."})
    with transaction.atomic():
        trade = Trade(owner=user, ticker=ticker_get_or_create(symbol=symbol), strategy=strategy, notes=notes)
        trade.opened_at = min((given.opened_at or at for given in legs), default=at)
        trade.full_clean()
        made = _validated_legs(trade, legs, at=at)
        broken = _rule_errors(strategy, made, today=market_hours.market_date(at))
        if broken:
            raise ValidationError({"legs": broken})
        trade.save()
        for leg in made:
            leg.trade = trade
            position_save(position=leg)
    return trade


def _open_legs(trade: Trade, leg_ids: Sequence[int]) -> dict[int, Position]:
    """The trade's open legs with these ids; any other id is a ValidationError naming it."""
    found = {leg.pk: leg for leg in trade.legs.filter(pk__in=leg_ids, closed_at__isnull=True)}
    missing = [leg_id for leg_id in leg_ids if leg_id not in found]
    if missing:
        raise ValidationError(
            {"legs": [f"Leg {leg_id} is not an open leg of trade {trade.pk}." for leg_id in missing]}
        )
    return found


def _close(leg: Position, *, exit_price: Decimal, at: datetime, fees: Decimal = Decimal(0)) -> None:
    leg.closed_at, leg.exit_price, leg.fees = at, exit_price, leg.fees + fees
    try:
        leg.full_clean()
    except ValidationError as error:
        raise ValidationError({f"legs[{leg.pk}].{k}": v for k, v in error.message_dict.items()}) from None
    leg.save()


@transaction.atomic
def trade_roll(
    *,
    trade: Trade,
    close: Mapping[int, Decimal],
    open: Sequence[LegInput],
    at: datetime | None = None,
) -> Trade:
    """Close some legs at their exit prices and open new ones, in one step; the trade keeps both.

    An empty `close` only adds legs (the covered call written after an assignment).
    """
    at = at or clock.now()
    if not close and not open:
        raise ValidationError({"open": ["A roll closes or opens at least one leg."]})
    closing = _open_legs(trade, list(close))
    made = _validated_legs(trade, open, at=at)
    for leg_id, leg in closing.items():
        _close(leg, exit_price=close[leg_id], at=at)
    for leg in made:
        position_save(position=leg)
    trade_dates_sync(trade)
    return trade


@transaction.atomic
def trade_close(*, trade: Trade, exit_prices: Mapping[int, Decimal], at: datetime | None = None) -> Trade:
    """Close every open leg at its exit price (each open leg needs one); the trade closes with them."""
    at = at or clock.now()
    open_ids = set(trade.legs.filter(closed_at__isnull=True).values_list("pk", flat=True))
    if not open_ids:
        raise ValidationError({"exit_prices": [f"Trade {trade.pk} is already closed."]})
    missing = sorted(open_ids - set(exit_prices))
    if missing:
        raise ValidationError(
            {"exit_prices": [f"Open leg {leg_id} needs an exit price." for leg_id in missing]}
        )
    for leg_id, leg in _open_legs(trade, list(exit_prices)).items():
        _close(leg, exit_price=exit_prices[leg_id], at=at)
    trade_dates_sync(trade)
    return trade


@transaction.atomic
def trade_assign(*, trade: Trade, leg_id: int, at: datetime | None = None) -> Trade:
    """An option leg assigned (short) or exercised (long): it closes at 0 and shares move at the strike.

    A short put assigned buys the shares (a CSP becomes a wheel, the same trade); a short call
    assigned sells them (the trade's own shares first, else a short stock leg); a long call
    exercised buys them, a long put exercised sells them.
    """
    at = at or clock.now()
    leg = _open_legs(trade, [leg_id])[leg_id]
    option = leg.option
    if option is None:
        raise ValidationError(
            {"leg": [f"Leg {leg_id} holds shares: only an option is assigned or exercised."]}
        )
    strike = Decimal(str(option.strike))
    shares = leg.quantity * (leg.multiplier or DEFAULT_OPTION_MULTIPLIER)
    # Shares bought (+) or sold (−): a put's holder sells, a call's holder buys.
    bought = -shares if option.contract_type == "put" else shares
    _close(leg, exit_price=Decimal(0), at=at)
    _shares_move(trade, bought, price=strike, at=at)
    if trade.strategy == TradeStrategy.CSP and bought > 0:
        trade.strategy = TradeStrategy.WHEEL
        trade.save(update_fields=["strategy"])
    trade_dates_sync(trade)
    return trade


def _shares_move(trade: Trade, bought: int, *, price: Decimal, at: datetime) -> None:
    """Buy (+) or sell (−) shares in the trade at `price`: sales close its open share legs first."""
    remaining = bought
    if remaining < 0:
        for held in trade.legs.filter(instrument=Instrument.STOCK, closed_at__isnull=True, quantity__gt=0):
            sold = min(held.quantity, -remaining)
            if sold < held.quantity:  # part of the leg goes: the rest stays open as it was
                held.quantity -= sold
                held.save(update_fields=["quantity"])
                held = _split_off(held, sold)
            _close(held, exit_price=price, at=at)
            remaining += sold
            if remaining == 0:
                return
    if remaining:
        new = Position(
            owner=trade.owner,
            trade=trade,
            ticker=trade.ticker,
            instrument=Instrument.STOCK,
            quantity=remaining,
            multiplier=1,
            entry_price=price,
            opened_at=at,
            strategy=_leg_strategy(trade.strategy, Position(instrument=Instrument.STOCK)),
            notes="From an assignment or exercise.",
        )
        new.full_clean(exclude=["trade"])
        position_save(position=new)


def _split_off(held: Position, quantity: int) -> Position:
    """A copy of a share leg holding `quantity` of its shares (the part sold)."""
    part = Position(
        owner=held.owner,
        trade=held.trade,
        ticker=held.ticker,
        instrument=held.instrument,
        quantity=quantity,
        multiplier=held.multiplier,
        entry_price=held.entry_price,
        opened_at=held.opened_at,
        strategy=held.strategy,
        notes=held.notes,
    )
    part.save()
    return part


def trades_expire_due(*, today: date) -> list[Position]:
    """`trades_expire` with the underlyings' stored closes on their legs' expiration days."""
    open_options = Position.objects.filter(instrument=Instrument.OPTION, closed_at__isnull=True)
    wanted = [
        (leg.ticker.symbol, leg.expiration)
        for leg in open_options.select_related("ticker")
        if leg.expiration is not None and leg.expiration < today
    ]
    if not wanted:
        return []
    closes = marketdata_services.session_closes(wanted)
    return trades_expire(today=today, closes={key: Decimal(str(close)) for key, close in closes.items()})


def trades_expire(*, today: date, closes: Mapping[tuple[str, date], Decimal]) -> list[Position]:
    """Close the option legs that expired before `today`: out of the money at 0, in it assigned.

    OCC's exercise by exception: a leg at least $0.01 in the money at the underlying's close on
    its expiration day is assigned (short) or exercised (long); any other closes at 0. `closes`
    holds those closes by (symbol, day); a leg whose close is unknown is left for a later run.
    """
    expired = Position.objects.filter(instrument=Instrument.OPTION, closed_at__isnull=True).select_related(
        "trade", "ticker"
    )
    handled: list[Position] = []
    for leg in expired:
        option = leg.option
        if option is None or option.expiration >= today:
            continue
        close = closes.get((leg.ticker.symbol, option.expiration))
        if close is None:
            continue
        strike = Decimal(str(option.strike))
        in_the_money = close - strike if option.contract_type == "call" else strike - close
        at = datetime.combine(option.expiration, time(16), tzinfo=market_hours.NEW_YORK)
        with transaction.atomic():
            if in_the_money >= EXERCISE_BY_EXCEPTION:
                trade_assign(trade=leg.trade, leg_id=leg.pk, at=at)
            else:
                _close(leg, exit_price=Decimal(0), at=at)
                trade_dates_sync(leg.trade)
        handled.append(leg)
    return handled


@transaction.atomic
def trade_notes_set(*, trade: Trade, notes: str) -> Trade:
    """Change a trade's notes (its legs and dates follow from what is done to them)."""
    trade.notes = notes
    trade.full_clean()
    trade.save(update_fields=["notes"])
    return trade
